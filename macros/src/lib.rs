//! Procedural macros of [corio](https://docs.rs/corio): `#[coroutine]`, `gather!`,
//! `wait_for!`, `as_completed!`, and the `#[main]` / `#[test]` entry attributes.
//!
//! Use them through the `corio` facade, which re-exports them (the function-like macros
//! through `macro_rules!` wrappers that pass the facade's `$crate`, so a renamed dependency
//! just works). Each macro lives in its own module and goes the same way: parse the input into
//! a small model (syn), then expand from the model (quote). A misuse is a spanned
//! `compile_error!` at the offending token, never a panic inside the macro. An attribute macro
//! reports every misuse it finds in one round (`options::Errors`), beside the user's item
//! (unchanged, or for `main`/`test` a stand-in that type-checks), so the user sees those
//! errors, not a cascade.

#![warn(missing_debug_implementations, unreachable_pub)]
// The crate has no unsafe code; should some come, each block says why it is sound.
#![warn(clippy::undocumented_unsafe_blocks)]

mod as_completed;
mod coroutine;
mod crate_path;
mod entry;
mod gather;
mod options;
#[cfg(test)]
mod snapshot;
mod wait_for;

use proc_macro::TokenStream;

/// (`corio-macros` implements the attribute; the `corio` facade re-exports it with these
/// docs.)
#[proc_macro_attribute]
pub fn coroutine(attr: TokenStream, item: TokenStream) -> TokenStream {
    coroutine::expand(attr.into(), item.into()).into()
}

/// (`corio-macros` implements the attribute; the `corio` facade re-exports it with these
/// docs.)
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Main, attr.into(), item.into()).into()
}

/// (`corio-macros` implements the attribute; the `corio` facade re-exports it with these
/// docs.)
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Test, attr.into(), item.into()).into()
}

/// The implementation of `corio::gather!`; call it through the facade.
#[proc_macro]
pub fn gather(input: TokenStream) -> TokenStream {
    gather::expand(input.into()).into()
}

/// The implementation of `corio::wait_for!`; call it through the facade.
#[proc_macro]
pub fn wait_for(input: TokenStream) -> TokenStream {
    wait_for::expand(input.into()).into()
}

/// The implementation of `corio::as_completed!`; call it through the facade.
#[proc_macro]
pub fn as_completed(input: TokenStream) -> TokenStream {
    as_completed::expand(input.into()).into()
}
