//! The path expansions reach corio through, which the `crate = path` option overrides (read by
//! `options` for the attributes, by [`CratePath::parse_leading`] for the function-like macros).
//!
//! Every expansion names corio's items as `<crate path>::__private::...`, an absolute path, so it
//! compiles whatever the caller has shadowed (`core`, `Option`, `Future`, ...). The default
//! crate path is `::corio`; a caller that renamed the dependency says `crate = my_corio`, as
//! with tokio's macros. The function-like macros are reached through `macro_rules!` wrappers in
//! the facade that pass `$crate`, so they need no option even under a renamed dependency.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::ParseStream;
use syn::{Path, Token};

/// The path of the `corio` facade crate as the caller sees it.
#[derive(Clone)]
pub(crate) struct CratePath(pub(crate) Path);

impl Default for CratePath {
    fn default() -> Self {
        CratePath(syn::parse_quote!(::corio))
    }
}

impl CratePath {
    /// `<crate>::__private`, the hidden module expansions use.
    pub(crate) fn private(&self) -> TokenStream {
        let krate = &self.0;
        quote!(#krate::__private)
    }

    /// Parses an optional leading `crate = path;` (the form the facade's `macro_rules!`
    /// wrappers pass) from a function-like macro's input.
    pub(crate) fn parse_leading(input: ParseStream) -> syn::Result<Option<Self>> {
        if input.peek(Token![crate]) && input.peek2(Token![=]) {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            let path = Path::parse_mod_style(input)?;
            input.parse::<Token![;]>()?;
            return Ok(Some(CratePath(path)));
        }
        Ok(None)
    }
}

impl ToTokens for CratePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}
