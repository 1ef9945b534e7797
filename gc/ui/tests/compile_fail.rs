//! The compile errors prologue-gc's users must get, pinned with trybuild. Regenerate the
//! expected output with `TRYBUILD=overwrite cargo test -p prologue-gc-ui` after a toolchain
//! change, and review the diff.

#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
