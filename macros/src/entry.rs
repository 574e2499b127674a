//! `#[main]` and `#[test]`: an `async fn` run to completion on a new corio loop, as
//! `asyncio.run(main())`, in the style of tokio's entry attributes.
//!
//! ```text
//! #[corio::main(virtual_time)]        fn main() -> Result<(), E> {
//! async fn main() -> Result<(), E> {      let body = async move {
//!     work().await?;            =>            let ret: Result<(), E> = { work().await?; Ok(()) };
//!     Ok(())                                  ret
//! }                                       };
//!                                         Runner::new().virtual_time().run(body)
//!                                     }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, ItemFn, ReturnType, Token};

use crate::crate_path::CratePath;

/// Which entry attribute is expanding.
pub(crate) enum Entry {
    Main,
    Test,
}

impl Entry {
    fn attribute(&self) -> &'static str {
        match self {
            Entry::Main => "`#[corio::main]`",
            Entry::Test => "`#[corio::test]`",
        }
    }
}

/// The options: `virtual_time`, `crate = path`.
#[derive(Default)]
struct Options {
    virtual_time: bool,
    krate: Option<CratePath>,
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Options::default();
        while !input.is_empty() {
            let key = input.call(syn::ext::IdentExt::parse_any)?;
            let key: Ident = key;
            match key.to_string().as_str() {
                "virtual_time" => {
                    if input.peek(Token![=]) {
                        return Err(syn::Error::new(
                            key.span(),
                            "`virtual_time` takes no value: write `virtual_time`",
                        ));
                    }
                    if std::mem::replace(&mut options.virtual_time, true) {
                        return Err(syn::Error::new(key.span(), "`virtual_time` is given twice"));
                    }
                }
                "crate" => {
                    input
                        .parse::<Token![=]>()
                        .map_err(|_| syn::Error::new(key.span(), "expected `crate = path`"))?;
                    let path: CratePath = input.parse()?;
                    if options.krate.replace(path).is_some() {
                        return Err(syn::Error::new(key.span(), "`crate` is given twice"));
                    }
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{key}`; the options are `virtual_time` and `crate = path`"
                        ),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(options)
    }
}

/// Every misuse of the function at once, so the user fixes them in one round.
fn validate(entry: &Entry, function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    let mut errors: Vec<syn::Error> = Vec::new();
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!(
                "the `async` keyword is missing from the function declaration: {} goes on an \
                 `async fn`",
                entry.attribute()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        let what = match entry {
            Entry::Main => "the main function",
            Entry::Test => "a test function",
        };
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!("{what} cannot accept arguments"),
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("{} cannot go on a generic fn", entry.attribute()),
        ));
    }
    if let Entry::Test = entry {
        for attr in &function.attrs {
            if attr
                .path()
                .segments
                .last()
                .is_some_and(|last| last.ident == "test")
            {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "a second test attribute: `#[corio::test]` already makes the fn a test; \
                     remove this one",
                ));
            }
        }
    }
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(errors);
            Err(first)
        }
    }
}

/// Expands `#[main(attr)] item` or `#[test(attr)] item`. On an error, the fn comes back as a
/// plain `fn` whose body still type-checks (so the IDE keeps working), beside one
/// `compile_error!`.
pub(crate) fn expand(entry: Entry, attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = syn::parse2::<Options>(attr);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                format!("{} goes on an `async fn`", entry.attribute()),
            );
            let mut tokens = item;
            tokens.extend(error.to_compile_error());
            return tokens;
        }
    };
    let checked = validate(&entry, &function);
    match (options, checked) {
        (Ok(options), Ok(())) => expand_fn(&entry, &options, function),
        (options, checked) => {
            let mut errors = options.as_ref().err().cloned();
            if let Err(error) = checked {
                match &mut errors {
                    Some(errors) => errors.combine(error),
                    None => errors = Some(error),
                }
            }
            let krate = options.ok().and_then(|options| options.krate);
            let mut tokens = stand_in(&entry, &krate.unwrap_or_default(), function);
            tokens.extend(errors.map(|error| error.to_compile_error()));
            tokens
        }
    }
}

fn expand_fn(entry: &Entry, options: &Options, function: ItemFn) -> TokenStream {
    let krate = options.krate.clone().unwrap_or_default();
    let private = krate.private();
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;

    let test = match entry {
        Entry::Main => None,
        Entry::Test => Some(quote!(#[#private::core::prelude::v1::test])),
    };
    let virtual_time = options.virtual_time.then(|| quote!(.virtual_time()));
    let body = Ident::new("__corio_body", Span::mixed_site());
    let ret = Ident::new("__corio_ret", Span::mixed_site());
    let output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    quote! {
        #test
        #(#attrs)*
        #vis #sig {
            // The output type named inside the body gives `?` and `return` their type.
            let #body = async move {
                let #ret: #output = #block;
                #[allow(unreachable_code)]
                #ret
            };
            #private::Runner::new() #virtual_time .run(#body)
        }
    }
}

/// The fn as a plain `fn` whose body type-checks but never runs, for the error path. A `main`
/// loses its arguments (into an async closure around the body), so rustc does not add its own
/// "`main` has the wrong type" to ours.
fn stand_in(entry: &Entry, krate: &CratePath, function: ItemFn) -> TokenStream {
    let private = krate.private();
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;
    let has_receiver = sig
        .inputs
        .iter()
        .any(|arg| matches!(arg, syn::FnArg::Receiver(_)));
    let body = match entry {
        Entry::Main if !has_receiver => {
            let inputs = std::mem::take(&mut sig.inputs).into_iter();
            quote!(async move |#(#inputs),*| #block)
        }
        _ => quote!(async move #block),
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            let _ = #body;
            #private::core::unreachable!()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_main() {
        let expansion = expand(
            Entry::Main,
            quote!(virtual_time),
            quote! {
                async fn main() -> Result<(), TaskError> {
                    corio::sleep(1).await;
                    Ok(())
                }
            },
        );
        insta::assert_snapshot!(crate::snapshot::pretty_items(expansion));
    }
}
