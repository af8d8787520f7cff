// A live Ink app's root at drawWidth (one column narrower than the terminal, see draw-width.ts),
// so a stale line never stays behind when the next frame is drawn.
import {Box, useStdout} from 'ink';
import {useEffect, useState, type ReactNode} from 'react';
import {drawWidth} from '../draw-width.js';

/** A live Ink app's root: one column narrower than the terminal, following resizes. */
export function FitWidth({children}: {children: ReactNode}) {
  const {stdout} = useStdout();
  const [columns, setColumns] = useState(stdout.columns);
  useEffect(() => {
    const resized = () => setColumns(stdout.columns);
    stdout.on('resize', resized);
    return () => {
      stdout.off('resize', resized);
    };
  }, [stdout]);
  return (
    <Box flexDirection="column" width={drawWidth(columns)}>
      {children}
    </Box>
  );
}
