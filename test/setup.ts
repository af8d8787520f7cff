// Same output locally and in CI: no colours in frames, so assertions read plain text.
process.env.FORCE_COLOR = '0';
delete process.env.NO_COLOR;
