//! What the macros accept and what they reject: every case in `tests/ui/pass` must compile and
//! run; every case in `tests/ui/fail` must fail with exactly its `.stderr` (the `.stderr` files
//! are the documentation of each error message). Regenerate after a deliberate change with
//! `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
