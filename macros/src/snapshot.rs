//! Formatting expansions for the snapshot tests, so a reviewer reads what each macro expands to
//! (the `.snap` files in `snapshots/`).

use proc_macro2::TokenStream;
use quote::quote;

/// Formats items (an attribute macro's output) as a file.
pub(crate) fn pretty_items(tokens: TokenStream) -> String {
    let file = syn::parse2(tokens.clone()).unwrap_or_else(|error| panic!("{error}\n{tokens}"));
    prettyplease::unparse(&file)
}

/// Formats statements or an expression (a function-like macro's output) as the body of a
/// function named `__snapshot`.
pub(crate) fn pretty_body(tokens: TokenStream) -> String {
    pretty_items(quote!(fn __snapshot() { #tokens }))
}
