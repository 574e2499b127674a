//! `gather!`: runs futures concurrently and outputs all their outputs, as `asyncio.gather`.
//!
//! Input: `[crate = path;] [try] a, b, c [,]` (the fixed form) or `[crate = path;] [try] ..iter
//! [,]` (the spread form).
//!
//! * The fixed form expands to a struct generated at the call site, generic over the children's
//!   types, with one `MaybeDone` slot per child, and a `Future` impl that polls every unfinished
//!   child and outputs the tuple of outputs once all are done. It allocates nothing. With
//!   `try`, each child outputs a `Result<_, E>` (one `E` for all); the first `Err` drops every
//!   other slot at once and is the output.
//! * The spread form is one call of the runtime's `gather_all` / `try_gather_all`, whose
//!   children have per-child wakers.
//!
//! The children are evaluated once, in order, where the macro is called (in a `match`
//! scrutinee, so temporaries they borrow live until the end of the caller's statement).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Token};

use crate::crate_path::CratePath;

/// A parsed `gather!` call.
struct Gather {
    krate: CratePath,
    /// The `try` form: children output `Result`s, the first `Err` wins.
    try_token: Option<Token![try]>,
    children: Children,
}

/// The children of `gather!` or `as_completed!`.
pub(crate) enum Children {
    /// `a, b, c`: each its own type.
    Fixed(Vec<Expr>),
    /// `..iter`: any `IntoIterator` of futures of one type.
    Spread(Expr),
}

impl Children {
    /// Parses `a, b, c` or `..iter`, stopping at the end, before a `,` that follows `..iter`,
    /// or before a `name = value` option (which the caller accepts or rejects). `macro_name`
    /// and `usage` word the errors.
    pub(crate) fn parse(input: ParseStream, macro_name: &str, usage: &str) -> syn::Result<Self> {
        if input.peek(Token![..]) {
            let dots: Token![..] = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(syn::Error::new_spanned(
                    dots,
                    format!("`..` needs an iterator of futures after it: {usage}"),
                ));
            }
            return Ok(Children::Spread(input.parse()?));
        }
        let mut children = Vec::new();
        loop {
            if let Some(dots) = input.parse::<Option<Token![..]>>()? {
                // Point at the whole `..iter` when there is one.
                let iter: Option<Expr> = if input.is_empty() || input.peek(Token![,]) {
                    None
                } else {
                    input.parse().ok()
                };
                return Err(syn::Error::new_spanned(
                    quote!(#dots #iter),
                    format!(
                        "`..iter` cannot be mixed with other futures: `{macro_name}!(..iter)` \
                         takes the iterator alone (chain the others into it)"
                    ),
                ));
            }
            if is_option(input) {
                break;
            }
            if input.peek(Token![,]) {
                let comma: Token![,] = input.parse()?;
                return Err(syn::Error::new(
                    comma.span,
                    format!(
                        "expected a future before this `,`: `{macro_name}!` takes futures \
                         separated by single commas, as `{macro_name}!(a, b)`"
                    ),
                ));
            }
            let child = input.parse::<Expr>().map_err(|error| {
                syn::Error::new(error.span(), format!("expected a future here: {usage}"))
            })?;
            children.push(child);
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(input.error(format!(
                    "expected `,` or the end of `{macro_name}!`: its arguments are futures \
                     separated by commas"
                )));
            }
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
        }
        Ok(Children::Fixed(children))
    }
}

/// Whether the input continues with a `name = value` option (never a future: an assignment
/// outputs `()`).
pub(crate) fn is_option(input: ParseStream) -> bool {
    input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==])
}

const USAGE: &str = "`gather!(a, b, c)`, `gather!(..futures)`, or with `try` first";

impl Parse for Gather {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = CratePath::parse_leading(input)?.unwrap_or_default();
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`gather!` needs at least one future to gather: {USAGE}"),
            ));
        }
        let try_token: Option<Token![try]> = input.parse()?;
        if let Some(again) = input.parse::<Option<Token![try]>>()? {
            return Err(syn::Error::new(
                again.span,
                "`try` is written once, before the futures: `gather!(try a, b)`",
            ));
        }
        if let Some(try_token) = &try_token {
            if input.is_empty() {
                return Err(syn::Error::new(
                    try_token.span(),
                    "`try` needs the futures to gather after it: `gather!(try a, b)` or \
                     `gather!(try ..futures)`",
                ));
            }
        }
        let children = Children::parse(input, "gather", USAGE)?;
        if let Children::Spread(_) = children {
            input.parse::<Option<Token![,]>>()?;
        }
        if !input.is_empty() {
            let message = match children {
                Children::Spread(_) => {
                    "unexpected argument: `gather!(..iter)` takes the iterator alone"
                }
                Children::Fixed(_) => "unexpected option: `gather!` takes no options",
            };
            return Err(input.error(message));
        }
        Ok(Gather {
            krate,
            try_token,
            children,
        })
    }
}

/// Expands a `gather!` call; a misuse becomes a spanned `compile_error!`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Gather>(input) {
        Ok(gather) => gather.expand(),
        Err(error) => error.to_compile_error(),
    }
}

/// The names the fixed forms generate for child `index`: its local, its type parameter and its
/// field. Locals are `mixed_site`, so user code cannot see or collide with them; the local is
/// located at the child's expression, so type errors about it point there.
pub(crate) struct ChildNames {
    /// `__child{i}`: the evaluated child, bound by the `match`.
    pub(crate) local: Ident,
    /// `F{i}`: its type parameter in the generated struct.
    pub(crate) ty: Ident,
    /// `f{i}`: its slot in the generated struct.
    pub(crate) field: Ident,
}

/// The [`ChildNames`] of child `index`, whose expression is `expr`.
pub(crate) fn child_names(index: usize, expr: &Expr) -> ChildNames {
    let located = Span::mixed_site().located_at(expr.span());
    ChildNames {
        local: Ident::new(&format!("__child{index}"), located),
        ty: format_ident!("F{index}"),
        field: format_ident!("f{index}"),
    }
}

/// `expr` passed through the runtime's check `trait_name` (`GatherArg`, `SpreadArg`, ...),
/// spanned at `expr`: a non-future is one error, pointing at it and naming the macro, and the
/// rest of the expansion raises none (the runtime's `join/future_arg.rs` says how). An
/// identity at run time.
pub(crate) fn check_arg(private: &TokenStream, trait_name: &str, expr: &Expr) -> TokenStream {
    let check = Ident::new(trait_name, Span::call_site());
    quote_spanned! {expr.span()=>
        #private::#check::into_arg(#expr)
    }
}

impl Gather {
    fn expand(&self) -> TokenStream {
        let private = self.krate.private();
        match &self.children {
            Children::Spread(iter) => {
                let function = if self.try_token.is_some() {
                    quote!(try_gather_all)
                } else {
                    quote!(gather_all)
                };
                let checked = check_arg(&private, "SpreadArg", iter);
                quote_spanned! {iter.span()=> #private::#function(#checked) }
            }
            Children::Fixed(exprs) => self.expand_fixed(&private, exprs),
        }
    }

    fn expand_fixed(&self, private: &TokenStream, exprs: &[Expr]) -> TokenStream {
        let names: Vec<ChildNames> = exprs
            .iter()
            .enumerate()
            .map(|(index, expr)| child_names(index, expr))
            .collect();
        let futures = exprs
            .iter()
            .map(|expr| check_arg(private, "GatherArg", expr));
        let locals: Vec<&Ident> = names.iter().map(|n| &n.local).collect();
        let tys: Vec<&Ident> = names.iter().map(|n| &n.ty).collect();
        let fields: Vec<&Ident> = names.iter().map(|n| &n.field).collect();

        let mixed = Span::mixed_site();
        let this = Ident::new("__this", mixed);
        let cx = Ident::new("__cx", mixed);
        let done = Ident::new("__done", mixed);
        let future = quote!(#private::core::future::Future);
        let poll = quote!(#private::core::task::Poll);
        let option = quote!(#private::core::option::Option);
        let result = quote!(#private::core::result::Result);

        let (impl_generics, output, constructor_bounds, body) = match &self.try_token {
            None => (
                quote!(#(#tys: #future),*),
                quote!((#(<#tys as #future>::Output,)*)),
                quote!(),
                quote! {
                    let mut #done = true;
                    #( #done &= #this.#fields.as_mut().poll_done(#cx); )*
                    if !#done {
                        return #poll::Pending;
                    }
                    #poll::Ready((#(#this.#fields.as_mut().take_done(),)*))
                },
            ),
            Some(_) => {
                let error = Ident::new("__error", mixed);
                let label = syn::Lifetime {
                    apostrophe: mixed,
                    ident: Ident::new("__poll", mixed),
                };
                (
                    quote!(__E, #(#tys: #future),*),
                    quote! {
                        #result<
                            (#(<<#tys as #future>::Output as #private::TryOutput>::Ok,)*),
                            __E,
                        >
                    },
                    quote!(where #(<#tys as #future>::Output: #private::TryOutput<Err = __E>,)*),
                    quote! {
                        let mut #done = true;
                        // Poll in argument order; stop at the first `Err`.
                        let #error = #label: {
                            #(
                                match #this.#fields.as_mut().poll_try(#cx) {
                                    #poll::Ready(#result::Ok(())) => {}
                                    #poll::Ready(#result::Err(#error)) => {
                                        // Parenthesized: `break 'label ::path` reads as a labeled block.
                                        break #label (#option::Some(#error));
                                    }
                                    #poll::Pending => #done = false,
                                }
                            )*
                            #option::None
                        };
                        if let #option::Some(#error) = #error {
                            // Drop every other child (and every output) at once.
                            #( #this.#fields.set(#private::MaybeDone::Taken); )*
                            return #poll::Ready(#result::Err(#error));
                        }
                        if !#done {
                            return #poll::Pending;
                        }
                        #poll::Ready(#result::Ok((#(#this.#fields.as_mut().take_ok(),)*)))
                    },
                )
            }
        };
        let impl_where = &constructor_bounds;

        quote! {
            match (#(#futures,)*) {
                (#(#locals,)*) => {
                    #private::pin_project! {
                        #[must_use = "futures do nothing unless you `.await` or poll them"]
                        struct __Gather<#(#tys: #future),*> {
                            #( #[pin] #fields: #private::MaybeDone<#tys>, )*
                        }
                    }

                    impl<#impl_generics> #future for __Gather<#(#tys),*> #impl_where {
                        type Output = #output;

                        fn poll(
                            self: #private::core::pin::Pin<&mut Self>,
                            #cx: &mut #private::core::task::Context<'_>,
                        ) -> #poll<Self::Output> {
                            let mut #this = self.project();
                            #body
                        }
                    }

                    // Checks the children's types where they are passed (a child of the `try`
                    // form that outputs no `Result`, or another `E`, is reported at it).
                    #[allow(clippy::too_many_arguments)]
                    fn __gather<#impl_generics>(#(#fields: #tys),*) -> __Gather<#(#tys),*>
                    #constructor_bounds
                    {
                        __Gather {
                            #( #fields: #private::MaybeDone::new(#fields), )*
                        }
                    }

                    __gather(#(#locals),*)
                }
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
    fn expansion_try() {
        insta::assert_snapshot!(pretty(expand(quote!(try first, second))));
    }

    #[test]
    fn expansion_spread() {
        insta::assert_snapshot!(pretty(expand(quote!(crate = my_corio; ..futures))));
    }

    #[test]
    fn errors_point_at_the_offending_token() {
        for (input, message) in [
            (quote!(), "`gather!` needs at least one future"),
            (quote!(try), "`try` needs the futures"),
            (quote!(..), "`..` needs an iterator"),
            (quote!(a, ..b), "`..iter` cannot be mixed"),
            (quote!(..a, b), "unexpected argument"),
            (quote!(a b), "expected `,`"),
            (quote!(a, timeout = 1), "takes no options"),
        ] {
            let error = syn::parse2::<super::Gather>(input.clone())
                .err()
                .unwrap_or_else(|| panic!("`{input}` parsed"));
            assert!(error.to_string().contains(message), "`{input}`: {error}");
        }
    }
}
