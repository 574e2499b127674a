//! `as_completed!`: a stream of outputs in completion order, as `asyncio.as_completed`.
//!
//! Input: `[crate = path;] a, b, c [,]` (the fixed form), `[crate = path;] ..iter [,]` or
//! `[crate = path;] ..iter, timeout = t [,]` (the spread forms).
//!
//! * The fixed form expands to a struct generated at the call site with one `MaybeDone` slot
//!   per child (all children output the same type) and a `futures_core::Stream` impl that polls
//!   every unfinished child and yields the first that finished (outputs of children that
//!   finished together wait in their slots, and come out first at the next poll); a finished
//!   child's future is dropped at once. The struct is boxed once by the runtime's
//!   `as_completed_fixed` (its `AsCompletedFixed`), so the stream is `Unpin` and has the spread
//!   forms' `next(&mut self)`: no `pin!` at the call site, one allocation per call.
//! * The spread forms are one call of the runtime's `as_completed_all` /
//!   `as_completed_timeout`, whose children have per-child wakers (work linear in the number of
//!   children); their streams are `Unpin`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::crate_path::CratePath;
use crate::gather::{ChildNames, Children, check_arg, child_names, is_option};

/// A parsed `as_completed!` call.
struct AsCompleted {
    krate: CratePath,
    children: Children,
    /// `timeout = t`: only with the spread form.
    timeout: Option<Expr>,
}

const USAGE: &str = "`as_completed!(a, b, c)`, `as_completed!(..futures)` or \
                     `as_completed!(..futures, timeout = seconds)`";

impl Parse for AsCompleted {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = CratePath::parse_leading(input)?.unwrap_or_default();
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`as_completed!` needs at least one future: {USAGE}"),
            ));
        }
        let children = Children::parse(input, "as_completed", USAGE)?;
        if let Children::Spread(_) = children {
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let mut timeout = None;
        while !input.is_empty() {
            if !is_option(input) {
                return Err(input.error(format!(
                    "unexpected argument: after `..iter`, `as_completed!` takes only \
                     `timeout = seconds`: {USAGE}"
                )));
            }
            let name: Ident = input.parse()?;
            if name != "timeout" {
                return Err(syn::Error::new(
                    name.span(),
                    format!(
                        "unknown option `{name}`: the only option of `as_completed!` is \
                         `timeout = seconds` (or a `Duration`)"
                    ),
                ));
            }
            if let Children::Fixed(_) = children {
                return Err(syn::Error::new(
                    name.span(),
                    "`timeout` needs the spread form: `as_completed!(..futures, timeout = t)` \
                     (put the futures in an array or `Vec`)",
                ));
            }
            if timeout.is_some() {
                return Err(syn::Error::new(name.span(), "`timeout` is given twice"));
            }
            let eq: Token![=] = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(syn::Error::new(
                    eq.span,
                    "`timeout =` needs a value: seconds (`1`, `0.5`) or a `Duration`",
                ));
            }
            timeout = Some(input.parse::<Expr>()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        if let Children::Fixed(children) = &children {
            if children.is_empty() {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!("`as_completed!` needs at least one future: {USAGE}"),
                ));
            }
        }
        Ok(AsCompleted {
            krate,
            children,
            timeout,
        })
    }
}

/// Expands an `as_completed!` call; a misuse becomes a spanned `compile_error!`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<AsCompleted>(input) {
        Ok(as_completed) => as_completed.expand(),
        Err(error) => error.to_compile_error(),
    }
}

impl AsCompleted {
    fn expand(&self) -> TokenStream {
        let private = self.krate.private();
        match (&self.children, &self.timeout) {
            (Children::Spread(iter), None) => {
                let checked = check_arg(&private, "SpreadArg", iter);
                quote_spanned! {iter.span()=> #private::as_completed_all(#checked) }
            }
            (Children::Spread(iter), Some(timeout)) => {
                let checked = check_arg(&private, "SpreadArg", iter);
                // Made a `Duration` where it is written, so a value that is no delay is reported
                // at it, with no note into the runtime's source.
                let timeout = quote_spanned! {timeout.span()=>
                    #private::core::time::Duration::from_nanos(
                        #private::IntoDelay::into_delay_nanos(#timeout)
                    )
                };
                quote_spanned! {iter.span()=> #private::as_completed_timeout(#checked, #timeout) }
            }
            // The parser accepts a timeout only with the spread form.
            (Children::Fixed(exprs), _) => expand_fixed(&private, exprs),
        }
    }
}

fn expand_fixed(private: &TokenStream, exprs: &[Expr]) -> TokenStream {
    let names: Vec<ChildNames> = exprs
        .iter()
        .enumerate()
        .map(|(index, expr)| child_names(index, expr))
        .collect();
    let futures = exprs
        .iter()
        .map(|expr| check_arg(private, "AsCompletedArg", expr));
    let locals: Vec<&Ident> = names.iter().map(|n| &n.local).collect();
    let tys: Vec<&Ident> = names.iter().map(|n| &n.ty).collect();
    let fields: Vec<&Ident> = names.iter().map(|n| &n.field).collect();
    let outputs: Vec<Ident> = (0..exprs.len()).map(|i| format_ident!("O{i}")).collect();

    let mixed = Span::mixed_site();
    let this = Ident::new("__this", mixed);
    let cx = Ident::new("__cx", mixed);
    let future = quote!(#private::core::future::Future);
    let poll = quote!(#private::core::task::Poll);
    let option = quote!(#private::core::option::Option);
    let pin = quote!(#private::core::pin::Pin);
    let context = quote!(#private::core::task::Context);
    // Yields the first slot, in argument order, that holds an output; its future was dropped
    // when it finished.
    let take_first_done = quote! {
        #(
            if #this.#fields.is_done() {
                return #poll::Ready(#option::Some(#this.#fields.as_mut().take_done()));
            }
        )*
    };

    quote! {
        match (#(#futures,)*) {
            (#(#locals,)*) => {
                #private::pin_project! {
                    #[must_use = "streams do nothing unless polled"]
                    struct __AsCompleted<#(#tys: #future),*> {
                        #( #[pin] #fields: #private::MaybeDone<#tys>, )*
                    }
                }

                impl<__T, #(#tys: #future<Output = __T>),*> #private::Stream
                    for __AsCompleted<#(#tys),*>
                {
                    type Item = __T;

                    fn poll_next(
                        self: #pin<&mut Self>,
                        #cx: &mut #context<'_>,
                    ) -> #poll<#option<__T>> {
                        let mut #this = self.project();
                        // Outputs of children that finished in an earlier poll come first.
                        #take_first_done
                        // Poll every unfinished child (so each starts at the first poll and
                        // runs when woken), then yield the first that finished.
                        #( #this.#fields.as_mut().poll_done(#cx); )*
                        #take_first_done
                        if #(#this.#fields.is_pending())||* {
                            #poll::Pending
                        } else {
                            #poll::Ready(#option::None)
                        }
                    }
                }

                // Checks the children's types where they are passed: every child outputs the
                // same `__T` (`SameOutput` says so in its message).
                #[allow(clippy::too_many_arguments)]
                fn __as_completed<
                    __T,
                    #(#tys: #future<Output = #outputs>, #outputs: #private::SameOutput<__T>,)*
                >(
                    #(#fields: #private::ArgFuture<#tys, #outputs>),*
                ) -> __AsCompleted<#(#private::ArgFuture<#tys, #outputs>),*> {
                    __AsCompleted {
                        #( #fields: #private::MaybeDone::new(#fields), )*
                    }
                }

                // Boxed once: an `Unpin` stream with `next(&mut self)`, as the spread forms.
                #private::as_completed_fixed(__as_completed(#(#locals),*))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::expand;

    fn pretty(expansion: proc_macro2::TokenStream) -> String {
        crate::snapshot::pretty_body(expansion)
    }

    #[test]
    fn expansion() {
        insta::assert_snapshot!(pretty(expand(quote!(crate = ::corio; a, b()))));
    }

    #[test]
    fn expansion_spread_timeout() {
        insta::assert_snapshot!(pretty(expand(quote!(..futures, timeout = 1.5))));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        for (input, message) in [
            (quote!(), "`as_completed!` needs at least one future"),
            (quote!(..), "`..` needs an iterator"),
            (quote!(a, ..b), "`..iter` cannot be mixed"),
            (quote!(a, b, timeout = 1), "`timeout` needs the spread form"),
            (quote!(..a, timeout = 1, timeout = 2), "given twice"),
            (quote!(..a, timeout =), "needs a value"),
            (quote!(..a, deadline = 1), "unknown option `deadline`"),
            (quote!(..a, b), "unexpected argument"),
            (quote!(a b), "expected `,`"),
        ] {
            let error = syn::parse2::<super::AsCompleted>(input.clone())
                .err()
                .unwrap_or_else(|| panic!("`{input}` parsed"));
            assert!(error.to_string().contains(message), "`{input}`: {error}");
        }
    }
}
