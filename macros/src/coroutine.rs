//! `#[coroutine]`: an `async fn` becomes a plain `fn` returning
//! `Coroutine<impl Future<Output = T>>`, the body's future inside its frame.
//!
//! ```text
//! #[corio::coroutine]                     fn say_after(delay: u64, what: &str)
//! async fn say_after(                         -> Coroutine<impl Future<Output = ()>> {
//!     delay: u64,                  =>         static INFO = CoroutineInfo::new("say_after",
//!     what: &str,                                 module_path!(), &[AwaitSite(file, line,
//! ) {                                             column, "sleep(delay).await")]);
//!     sleep(delay).await;                     Coroutine::new(&INFO, async move {
//!     say!("{what}");                             let delay = delay; let what = what;
//! }                                               let ret: () = {
//!                                                     AwaitArg::into_at::<0>(
//!                                                         sleep(delay)).await;
//!                                                     say!("{what}");
//!                                                 };
//!                                                 ret
//!                                             })
//!                                         }
//! ```
//!
//! rustc still builds the state machine; the macro only adds the frame, and wraps each
//! `.await`'s future so that, suspending there, it tells the frame which await the body is at.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Block, Expr, FnArg, Ident, LitStr, Pat, ReturnType, Signature, Token, Type,
    Visibility,
};

use crate::crate_path::CratePath;
use crate::options::{self, Accepted, Errors};

/// `name = "..."`: the coroutine's name in its frame (by default, the fn's).
const NAME: Accepted = Accepted::string("name", "\"main\"");
/// The options `#[corio::coroutine]` accepts.
const OPTIONS: &[Accepted] = &[NAME, Accepted::CRATE];

/// The attribute's options: `name = "..."`, `crate = path`.
struct Options {
    name: Option<LitStr>,
    krate: CratePath,
}

impl Options {
    /// The options given in `attr`; each misuse goes to `errors`, and the options read well
    /// are kept all the same.
    fn parse(attr: TokenStream, errors: &mut Errors) -> Self {
        let given = options::parse(attr, OPTIONS, errors);
        let name = given.string(&NAME);
        if let Some(name) = name.as_ref().filter(|name| name.value().is_empty()) {
            errors.push(syn::Error::new(
                name.span(),
                "a coroutine's name cannot be empty",
            ));
        }
        Options {
            name,
            krate: given.krate().unwrap_or_default(),
        }
    }
}

/// The function the attribute is on: free, associated, or a trait method with a body.
struct CoroutineFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    block: Block,
}

impl Parse for CoroutineFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if input.fork().parse::<Signature>().is_err() {
            return Err(input.error(
                "`#[corio::coroutine]` goes on an `async fn`: it turns the fn into a coroutine",
            ));
        }
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(input.error(
                "`#[corio::coroutine]` needs the fn's body: put it on the fn that has one \
                 (in the `impl`, or a trait method with a default body)",
            ));
        }
        let block: Block = input.parse()?;
        Ok(CoroutineFn {
            attrs,
            vis,
            sig,
            block,
        })
    }
}

impl CoroutineFn {
    /// Every misuse of the signature, each to `errors`, so the user fixes them in one round.
    fn validate(&self, errors: &mut Errors) {
        // The outer attribute runs first and sees this one; the inner one would then see a
        // plain fn and complain that `async` is missing.
        for attr in &self.attrs {
            let path = attr.path();
            if path
                .segments
                .last()
                .is_some_and(|last| last.ident == "coroutine")
            {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "`#[corio::coroutine]` is given twice: once is enough",
                ));
            }
        }
        let sig = &self.sig;
        if sig.asyncness.is_none() {
            errors.push(syn::Error::new(
                sig.fn_token.span,
                "the `async` keyword is missing: `#[corio::coroutine]` goes on an `async fn`",
            ));
        }
        if let Some(constness) = &sig.constness {
            errors.push(syn::Error::new(
                constness.span,
                "a coroutine cannot be a `const fn`",
            ));
        }
        if let Some(abi) = &sig.abi {
            errors.push(syn::Error::new(
                abi.span(),
                "a coroutine cannot have an `extern` ABI",
            ));
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(syn::Error::new(
                variadic.span(),
                "a coroutine cannot be variadic",
            ));
        }
    }
}

/// Expands `#[coroutine(attr)] item`. Every error is collected (the options', the fn's, the
/// body's), and on any of them the item comes back unchanged beside a `compile_error!` for
/// each, so the user sees those errors and not a cascade.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(attr, &mut errors);
    let expansion = errors
        .ok(syn::parse2::<CoroutineFn>(item.clone()))
        .and_then(|function| {
            function.validate(&mut errors);
            errors.ok(expand_fn(&options, function))
        });
    match expansion {
        Some(expansion) if errors.is_empty() => expansion,
        _ => errors.beside(item),
    }
}

/// The expansion of a parsed fn, or the error in its body.
fn expand_fn(options: &Options, function: CoroutineFn) -> syn::Result<TokenStream> {
    let private = options.krate.private();
    let CoroutineFn {
        attrs,
        vis,
        mut sig,
        mut block,
    } = function;

    let name = match &options.name {
        Some(name) => name.clone(),
        None => LitStr::new(&sig.ident.unraw().to_string(), sig.ident.span()),
    };

    // Every argument moves into the body's future, as with `async fn`, even one the body never
    // uses: its destructor runs when the future is dropped, after the body's locals.
    let mut bindings = Vec::new();
    for (index, arg) in sig.inputs.iter_mut().enumerate() {
        match arg {
            FnArg::Receiver(receiver) => {
                if receiver.reference.is_none() {
                    let self_token = &receiver.self_token;
                    bindings.push(quote!(let _ = &#self_token;));
                }
            }
            FnArg::Typed(typed) => match &mut *typed.pat {
                Pat::Ident(pat)
                    if pat.by_ref.is_none() && pat.subpat.is_none() && pat.ident != "self" =>
                {
                    let ident = &pat.ident;
                    let mutability = pat.mutability.take();
                    bindings.push(quote!(let #mutability #ident = #ident;));
                }
                pat => {
                    let arg = format_ident!("__corio_arg{}", index, span = Span::mixed_site());
                    let original = std::mem::replace(
                        pat,
                        Pat::Ident(syn::PatIdent {
                            attrs: Vec::new(),
                            by_ref: None,
                            mutability: None,
                            ident: arg.clone(),
                            subpat: None,
                        }),
                    );
                    // First moved whole into the future (a `_` pattern alone would not move
                    // it), then destructured, as rustc desugars `async fn` parameters.
                    bindings.push(quote!(let #arg = #arg; let #original = #arg;));
                }
            },
        }
    }

    let mut instrument = Instrument {
        private: &private,
        sites: Vec::new(),
        error: None,
    };
    instrument.visit_block_mut(&mut block);
    if let Some(error) = instrument.error {
        return Err(error);
    }
    let sites = &instrument.sites;

    let output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    // Naming the output type inside the body gives `?` and `return` their type, as `async fn`
    // does; a type with `impl Trait` in it can't be named in a `let`, and needs no help.
    let ret = Ident::new("__corio_ret", Span::mixed_site());
    let body = if mentions_impl_trait(&sig.output) {
        quote!(#block)
    } else {
        quote! {
            let #ret: #output = #block;
            #[allow(unreachable_code)]
            #ret
        }
    };

    sig.asyncness = None;
    let arrow = match &sig.output {
        ReturnType::Type(arrow, _) => *arrow,
        ReturnType::Default => Token![->](sig.paren_token.span.close()),
    };
    sig.output = syn::parse_quote! {
        #arrow #private::Coroutine<impl #private::core::future::Future<Output = #output>>
    };

    let info = Ident::new("__CORIO_COROUTINE", Span::mixed_site());
    Ok(quote! {
        #(#attrs)*
        // A trait's `async fn` implemented by a coroutine returns a more precise type.
        #[allow(refining_impl_trait)]
        // In debug mode the coroutine records where it was created.
        #[track_caller]
        #vis #sig {
            static #info: #private::CoroutineInfo = #private::CoroutineInfo::new(
                #name,
                #private::core::module_path!(),
                &[#(#sites),*],
            );
            #private::Coroutine::new(&#info, async move {
                #(#bindings)*
                #body
            })
        }
    })
}

/// Whether the return type has an `impl Trait` in it.
fn mentions_impl_trait(output: &ReturnType) -> bool {
    struct Finder(bool);
    impl VisitMut for Finder {
        fn visit_type_impl_trait_mut(&mut self, _: &mut syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    if let ReturnType::Type(_, ty) = output {
        // syn's `visit-mut` is enabled, its `visit` is not: visit a copy.
        finder.visit_type_mut(&mut Type::clone(ty));
    }
    finder.0
}

/// Rewrites each `.await` of a body, in source order, into one whose future, when it suspends,
/// tells the frame which await site the body is at; collects the sites.
///
/// It stops at closures, async blocks and nested items: their awaits belong to them. Macro
/// invocations are opaque token trees, so awaits inside them are not instrumented.
struct Instrument<'a> {
    private: &'a TokenStream,
    sites: Vec<TokenStream>,
    error: Option<syn::Error>,
}

impl VisitMut for Instrument<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Closure(_) | Expr::Async(_) => {}
            Expr::Await(await_expr) => {
                // The source text is the await as written, before its inner awaits change.
                let source = quote!(#await_expr);
                self.visit_expr_mut(&mut await_expr.base);
                // `u16::MAX` is the runtime's `NO_SITE` ("not at an await"), not an index.
                let Some(index) = u16::try_from(self.sites.len())
                    .ok()
                    .filter(|&index| index < u16::MAX)
                else {
                    self.error.get_or_insert_with(|| {
                        syn::Error::new(
                            await_expr.await_token.span,
                            "too many `.await`s in one coroutine (at most 65535)",
                        )
                    });
                    return;
                };
                let at = await_expr.await_token.span;
                // `line!()` reports the line of the outermost macro call it came from: the whole
                // call, path included, must carry the await's span, or it reports the
                // attribute's line.
                let private = respan(self.private, at);
                self.sites.push(quote_spanned! {at=>
                    #private::AwaitSite::new(
                        #private::core::file!(),
                        #private::core::line!(),
                        #private::core::column!(),
                        #private::core::stringify!(#source),
                    )
                });
                let base = &await_expr.base;
                let await_token = &await_expr.await_token;
                let dot = &await_expr.dot_token;
                // `AwaitArg` checks the base where the user wrote it (what is not a future is
                // one error there, in rustc's words) and wraps its future in the `At` that
                // names this site when it suspends. The base's temporaries live to the end of
                // the enclosing statement, exactly as those of `base.await` do.
                let private_here = respan(self.private, base.span());
                let at = quote_spanned! {base.span()=>
                    #private_here::AwaitArg::into_at::<#index>(#base)
                };
                *expr = syn::parse_quote!(#at #dot #await_token);
            }
            _ => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `tokens`, every one of them with span `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                respanned.set_span(span);
                token = respanned.into();
            }
            token.set_span(span);
            token
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(tokens: TokenStream) -> String {
        crate::snapshot::pretty_items(tokens)
    }

    #[test]
    fn snapshot_say_after() {
        let expansion = expand(
            quote!(),
            quote! {
                /// Sleeps `delay` seconds, then prints `what`.
                pub async fn say_after(delay: u64, what: &str) -> Result<(), Error> {
                    corio::sleep(delay).await;
                    println!("{what}");
                    let (a, b) = gather(x(), y().await).await?;
                    let f = async { z.await };
                    Ok(())
                }
            },
        );
        insta::assert_snapshot!(pretty(expansion));
    }

    /// The options' errors and the fn's come out in one round, beside the fn unchanged.
    #[test]
    fn every_error_in_one_round() {
        let item = quote!(
            const fn f() {}
        );
        let expansion = expand(quote!(nmae = "f", name = ""), item.clone()).to_string();
        assert!(expansion.starts_with(&item.to_string()), "{expansion}");
        for message in [
            "unknown option `nmae`",
            "a coroutine's name cannot be empty",
            "the `async` keyword is missing",
            "a coroutine cannot be a `const fn`",
        ] {
            assert!(expansion.contains(message), "{message} in {expansion}");
        }
    }

    /// Await sites are numbered with a `u16` whose `u16::MAX` means no site: 65535 awaits are
    /// the most a coroutine can have.
    #[test]
    fn at_most_65535_awaits() {
        // The error, if any, for a body with 65534 awaits before `block`'s.
        let error = |mut block: Block| {
            let private = quote!(::corio::__private);
            let mut instrument = Instrument {
                private: &private,
                sites: vec![TokenStream::new(); 65534],
                error: None,
            };
            instrument.visit_block_mut(&mut block);
            instrument.error.map(|error| error.to_string())
        };
        assert_eq!(
            error(syn::parse_quote!({
                x.await;
            })),
            None
        );
        assert_eq!(
            error(syn::parse_quote!({
                x.await;
                y.await;
            }))
            .as_deref(),
            Some("too many `.await`s in one coroutine (at most 65535)")
        );
    }

    #[test]
    fn snapshot_method_with_options() {
        let expansion = expand(
            quote!(name = "main", crate = my_corio),
            quote! {
                async fn run(mut self, (x, y): (u8, u8), _: Guard) {
                    self.go(x, y).await
                }
            },
        );
        insta::assert_snapshot!(pretty(expansion));
    }
}
