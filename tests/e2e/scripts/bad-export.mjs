// The default export is not a function: a script-load failure (no events, exit 2, D11.4).
export default 42;
