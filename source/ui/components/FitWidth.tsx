// Ink keeps the space a line was wrapped at, so a wrapped line can be one column wider than the
// width it was given. Drawn at the terminal's full width, such a line wraps once more on screen,
// Ink's next frame erases one row too few, and a stale line stays behind. One column narrower
// than the terminal, every line Ink draws stays on one terminal row.
import {Box, useStdout} from 'ink';
import {useEffect, useState, type ReactNode} from 'react';

/** The width to draw at on a terminal this many columns wide. */
export function drawWidth(columns: number | undefined): number {
  return Math.max(20, (columns || 80) - 1);
}

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
