// Same output locally and in CI: no colours in frames, so assertions read plain text.
process.env.FORCE_COLOR = '0';
delete process.env.NO_COLOR;
// Ink reads CI once, when it loads, and then draws only the last frame; the live-view tests stand
// for a real terminal, so CI runs them as a terminal would. Code that asks uses inCi(env) with its own env.
process.env.CI = 'false';
delete process.env.CONTINUOUS_INTEGRATION;
