//! `wait_for!(future, timeout)`: waits for a future with a deadline, as `asyncio.wait_for`.
//!
//! Input: `[crate = path;] future, timeout [,]`, where the timeout is an expression (seconds, a
//! `Duration`, an `Option` of one), the literal `None` (no timeout), or the keyword form
//! `timeout = expr` that asyncio's `wait_for(aw, timeout=1.0)` users write.
//!
//! The expansion is one call: `wait_for(future, timeout_ns)`, which returns a `WaitFor`. The state
//! machine has a fixed shape (one future, one deadline timer), so it lives in the runtime as
//! `WaitFor<F>` rather than being generated per call site; what the macro adds is the
//! parsing, the spanned errors, and turning a bare `None` (which has no type to infer) into
//! "no timeout". Both arguments are evaluated once, in order, where the macro is called, so a
//! bad timeout (NaN, infinite) panics there, as `sleep` does.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::crate_path::CratePath;

/// A parsed `wait_for!` call.
struct WaitFor {
    krate: CratePath,
    future: Expr,
    timeout: Timeout,
}

/// The second argument of `wait_for!`.
enum Timeout {
    /// The literal `None`: wait as long as the future takes.
    Never(Ident),
    /// Anything `IntoTimeout`: seconds, a `Duration`, an `Option` of one.
    After(Expr),
}

const USAGE: &str = "`wait_for!(future, timeout)`, with the timeout in seconds (`1`, `0.5`), \
                     a `Duration`, or `None` to wait without one";

impl Parse for WaitFor {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = CratePath::parse_leading(input)?.unwrap_or_default();
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`wait_for!` needs a future and a timeout: {USAGE}"),
            ));
        }
        if input.peek(Token![,]) {
            let comma: Token![,] = input.parse()?;
            return Err(syn::Error::new(
                comma.span,
                format!("expected the future before this `,`: {USAGE}"),
            ));
        }
        let future: Expr = input.parse().map_err(|error| {
            syn::Error::new(error.span(), format!("expected a future here: {USAGE}"))
        })?;
        if input.is_empty() {
            return Err(missing_timeout(&future));
        }
        let comma: Token![,] = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), "expected `,` after the future"))?;
        if input.is_empty() {
            return Err(missing_timeout(&comma));
        }
        let timeout = input.parse()?;
        let trailing_comma = input.parse::<Option<Token![,]>>()?.is_some();
        if !input.is_empty() {
            let rest: TokenStream = input.parse()?;
            let message = if trailing_comma {
                "unexpected argument: `wait_for!` takes a future and a timeout, nothing more"
            } else {
                "expected `,` or the end of `wait_for!` after the timeout"
            };
            return Err(syn::Error::new_spanned(rest, message));
        }
        Ok(WaitFor {
            krate,
            future,
            timeout,
        })
    }
}

/// The error of a call that stops after the future, pointed at what came last.
fn missing_timeout(last: &dyn quote::ToTokens) -> syn::Error {
    syn::Error::new_spanned(
        last,
        format!("`wait_for!` needs a timeout after the future: {USAGE}"),
    )
}

impl Parse for Timeout {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // `timeout = 1.0`, asyncio's keyword form. `name = value` is never a timeout
        // expression (an assignment is `()`), so any such pair is read as an option.
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let name: Ident = input.parse()?;
            if name != "timeout" {
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "unknown option `{name}`: the only option of `wait_for!` is \
                         `timeout = ...` (or write the timeout alone)"
                    ),
                ));
            }
            let eq: Token![=] = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(syn::Error::new(
                    eq.span,
                    format!("`timeout =` needs a value: {USAGE}"),
                ));
            }
        }
        let expr: Expr = input.parse()?;
        Ok(match expr {
            Expr::Path(path) if path.qself.is_none() && path.path.is_ident("None") => {
                Timeout::Never(path.path.segments[0].ident.clone())
            }
            expr => Timeout::After(expr),
        })
    }
}

impl WaitFor {
    fn expand(&self) -> TokenStream {
        let private = self.krate.private();
        // Spanned at the user's tokens, so "is not a future" and "is not a timeout" point at
        // the argument at fault, once: the future is made one before `wait_for` sees it, so
        // no bound of the runtime's is in the error.
        let future = crate::gather::check_arg(&private, "WaitForArg", &self.future);
        let timeout_ns = match &self.timeout {
            Timeout::Never(none) => quote_spanned! {none.span()=>
                #private::core::option::Option::None
            },
            Timeout::After(timeout) => quote_spanned! {timeout.span()=>
                #private::IntoTimeout::into_timeout_nanos(#timeout)
            },
        };
        quote! {
            #private::wait_for(#future, #timeout_ns)
        }
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<WaitFor>(input) {
        Ok(model) => model.expand(),
        Err(error) => error.to_compile_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expands `input` and formats it as a function body, for a snapshot.
    fn expand_pretty(input: TokenStream) -> String {
        let expanded = expand(input);
        crate::snapshot::pretty_body(quote! { #expanded; })
    }

    /// The message of the error `input` expands to.
    fn error_of(input: TokenStream) -> String {
        match syn::parse2::<WaitFor>(input) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn expansion() {
        insta::assert_snapshot!(expand_pretty(quote! {
            crate = ::corio; fetch(&url), 1.5
        }));
    }

    #[test]
    fn expansion_without_timeout() {
        insta::assert_snapshot!(expand_pretty(quote! {
            crate = my_corio; fetch(&url), timeout = None,
        }));
    }

    #[test]
    fn a_none_path_that_is_not_bare_is_an_expression() {
        let expanded = expand_pretty(quote!(f, Option::<f64>::None)).to_string();
        assert!(expanded.contains("into_timeout_nanos"), "{expanded}");
    }

    #[test]
    fn errors() {
        assert!(error_of(quote!()).contains("needs a future and a timeout"));
        assert!(error_of(quote!(f)).contains("needs a timeout after the future"));
        assert!(error_of(quote!(f,)).contains("needs a timeout after the future"));
        assert!(error_of(quote!(f, 1, 2)).contains("unexpected argument"));
        assert!(error_of(quote!(f, 1 2)).contains("expected `,` or the end"));
        assert!(error_of(quote!(f 1)).contains("expected `,` after the future"));
        assert!(error_of(quote!(f, timout = 1)).contains("unknown option `timout`"));
        assert!(error_of(quote!(f, timeout =)).contains("`timeout =` needs a value"));
    }
}
