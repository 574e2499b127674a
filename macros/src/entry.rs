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
use syn::{Ident, ItemFn, ReturnType};

use crate::crate_path::CratePath;
use crate::options::{self, Accepted, Errors};

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

/// `virtual_time`: the loop runs on virtual time.
const VIRTUAL_TIME: Accepted = Accepted::flag("virtual_time");
/// The options `#[corio::main]` and `#[corio::test]` accept.
const OPTIONS: &[Accepted] = &[VIRTUAL_TIME, Accepted::CRATE];

/// The options: `virtual_time`, `crate = path`.
struct Options {
    virtual_time: bool,
    krate: CratePath,
}

impl Options {
    /// The options given in `attr`; each misuse goes to `errors`, and the options read well
    /// are kept all the same.
    fn parse(attr: TokenStream, errors: &mut Errors) -> Self {
        let given = options::parse(attr, OPTIONS, errors);
        Options {
            virtual_time: given.flag(&VIRTUAL_TIME),
            krate: given.krate().unwrap_or_default(),
        }
    }
}

/// Every misuse of the function, each to `errors`, so the user fixes them in one round.
fn validate(entry: &Entry, function: &ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
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
}

/// Expands `#[main(attr)] item` or `#[test(attr)] item`. Every error is collected (the
/// options' and the fn's); on any of them the fn comes back as a plain `fn` whose body still
/// type-checks (so the IDE keeps working), beside a `compile_error!` for each. An item that is
/// not a fn comes back unchanged.
pub(crate) fn expand(entry: Entry, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = Options::parse(attr, &mut errors);
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                format!("{} goes on an `async fn`", entry.attribute()),
            ));
            return errors.beside(item);
        }
    };
    validate(&entry, &function, &mut errors);
    if errors.is_empty() {
        expand_fn(&entry, &options, function)
    } else {
        errors.beside(stand_in(&entry, &options.krate, function))
    }
}

fn expand_fn(entry: &Entry, options: &Options, function: ItemFn) -> TokenStream {
    let private = options.krate.private();
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
