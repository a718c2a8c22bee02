// The host API conformance suite: every exported `test_*` function must return, every `fails_*`
// one must fail deterministically (tests/conformance.rs and README.md say with what).
export * from "./numbers";
export * from "./conversions";
export * from "./chain";
