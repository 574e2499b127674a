//! The `key = value` options of the attribute macros, and the error collector every attribute
//! macro reports its misuses through.
//!
//! Each attribute declares the options it accepts (`&[Accepted]`); [`parse`] reads its
//! arguments against that list and hands back what was given, reporting each unknown option,
//! duplicate, or wrongly typed value to an [`Errors`] at the offending token, then going on with
//! the next option (they are split at their top-level commas), so one round reports them all.

use proc_macro2::{Punct, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Path, Token};

use crate::crate_path::CratePath;

/// Every error found in one macro call, reported together so the user fixes them in one round.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds an error (combined after the ones already there).
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of `result`, or `None` with its error added.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// Whether there is no error.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// `item` (the user's item unchanged, or a stand-in for it) with a `compile_error!` for
    /// each error beside it: what an attribute expands to on an error.
    pub(crate) fn beside(self, item: TokenStream) -> TokenStream {
        let mut tokens = item;
        tokens.extend(self.0.map(|errors| errors.to_compile_error()));
        tokens
    }
}

/// What an option takes after its name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// Nothing: `virtual_time`.
    Nothing,
    /// A string literal: `name = "..."`.
    Str,
    /// A path: `crate = path`.
    Path,
}

/// An option an attribute accepts.
#[derive(Clone, Copy)]
pub(crate) struct Accepted {
    name: &'static str,
    takes: Takes,
    /// A value shown in the error for a missing or wrongly typed one, e.g. `"main"`.
    example: &'static str,
}

impl Accepted {
    /// A flag, given by its name alone: `virtual_time`.
    pub(crate) const fn flag(name: &'static str) -> Self {
        Accepted {
            name,
            takes: Takes::Nothing,
            example: "",
        }
    }

    /// `name = "..."`; `example` is a value, quotes included.
    pub(crate) const fn string(name: &'static str, example: &'static str) -> Self {
        Accepted {
            name,
            takes: Takes::Str,
            example,
        }
    }

    /// `crate = path`, the path expansions reach corio through.
    pub(crate) const CRATE: Accepted = Accepted {
        name: "crate",
        takes: Takes::Path,
        example: "my_corio",
    };

    /// How the option is written in the list of accepted ones.
    fn form(&self) -> String {
        match self.takes {
            Takes::Nothing => format!("`{}`", self.name),
            Takes::Str => format!("`{} = \"...\"`", self.name),
            Takes::Path => format!("`{} = path`", self.name),
        }
    }

    /// What the option takes, for the error on a missing or wrongly typed value.
    fn wants(&self) -> String {
        let (name, example) = (self.name, self.example);
        match self.takes {
            Takes::Nothing => format!("`{name}` takes no value: write `{name}`"),
            Takes::Str => format!("`{name}` takes a string literal, e.g. `{name} = {example}`"),
            Takes::Path => format!("`{name}` takes a path, e.g. `{name} = {example}`"),
        }
    }
}

/// The options given to an attribute, each checked against the accepted ones.
pub(crate) struct Given(Vec<(&'static str, Value)>);

/// A given option's value, of the type its [`Accepted`] says.
enum Value {
    Nothing,
    Str(LitStr),
    Path(Path),
}

impl Given {
    fn get(&self, option: &Accepted) -> Option<&Value> {
        self.0
            .iter()
            .find(|(name, _)| *name == option.name)
            .map(|(_, value)| value)
    }

    /// Whether the flag `option` was given.
    pub(crate) fn flag(&self, option: &Accepted) -> bool {
        matches!(self.get(option), Some(Value::Nothing))
    }

    /// The string literal given for `option`, if it was.
    pub(crate) fn string(&self, option: &Accepted) -> Option<LitStr> {
        match self.get(option)? {
            Value::Str(value) => Some(value.clone()),
            Value::Nothing | Value::Path(_) => None,
        }
    }

    /// The `crate = path` given, if it was.
    pub(crate) fn krate(&self) -> Option<CratePath> {
        match self.get(&Accepted::CRATE)? {
            Value::Path(path) => Some(CratePath(path.clone())),
            Value::Nothing | Value::Str(_) => None,
        }
    }
}

/// Reads `attr`, an attribute's arguments (`key = value, flag, ...`), against `accepted`.
/// Each misuse goes to `errors`, naming the option and listing the accepted ones; the options
/// read well are given back all the same.
pub(crate) fn parse(attr: TokenStream, accepted: &[Accepted], errors: &mut Errors) -> Given {
    let mut given = Given(Vec::new());
    for (option, comma) in split_at_commas(attr) {
        if option.is_empty() {
            if let Some(comma) = comma {
                let the_options = the_options(accepted);
                errors.push(syn::Error::new(
                    comma.span(),
                    format!("expected an option before this `,`; {the_options}"),
                ));
            }
            continue;
        }
        let parsed = (|input: ParseStream| parse_one(input, accepted, &given)).parse2(option);
        if let Some((name, value)) = errors.ok(parsed) {
            given.0.push((name, value));
        }
    }
    given
}

/// The options of `attr`, each with the comma after it, split at the top-level commas (a
/// value's own commas are inside a group). After a trailing comma comes an empty option
/// without one, which is fine.
fn split_at_commas(attr: TokenStream) -> Vec<(TokenStream, Option<Punct>)> {
    let mut options = Vec::new();
    let mut option = TokenStream::new();
    for token in attr {
        match token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                options.push((std::mem::take(&mut option), Some(punct)));
            }
            token => option.extend([token]),
        }
    }
    options.push((option, None));
    options
}

/// One option: its name, then what it takes.
fn parse_one(
    input: ParseStream,
    accepted: &[Accepted],
    given: &Given,
) -> syn::Result<(&'static str, Value)> {
    let the_options = the_options(accepted);
    let key = input.call(Ident::parse_any).map_err(|error| {
        syn::Error::new(error.span(), format!("expected an option; {the_options}"))
    })?;
    let Some(option) = accepted.iter().find(|option| key == option.name) else {
        return Err(syn::Error::new(
            key.span(),
            format!("unknown option `{key}`; {the_options}"),
        ));
    };
    if given.get(option).is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` is given twice; give each option once ({the_options})"),
        ));
    }
    let wants = || format!("{}; {the_options}", option.wants());
    let value = match option.takes {
        Takes::Nothing => {
            if !input.is_empty() {
                let value: TokenStream = input.parse()?;
                return Err(syn::Error::new_spanned(value, wants()));
            }
            Value::Nothing
        }
        Takes::Str | Takes::Path => {
            let eq = input
                .parse::<Token![=]>()
                .map_err(|_| syn::Error::new(key.span(), wants()))?;
            if input.is_empty() {
                return Err(syn::Error::new(eq.span, wants()));
            }
            let value = match option.takes {
                Takes::Str => input.parse().map(Value::Str),
                _ => Path::parse_mod_style(input).map(Value::Path),
            };
            value.map_err(|error| syn::Error::new(error.span(), wants()))?
        }
    };
    if !input.is_empty() {
        return Err(input.error(format!(
            "expected `,` after `{key}`'s value: separate the options with commas"
        )));
    }
    Ok((option.name, value))
}

/// "the options are `a` and `b = path`".
fn the_options(accepted: &[Accepted]) -> String {
    let forms: Vec<String> = accepted.iter().map(Accepted::form).collect();
    match forms.as_slice() {
        [] => "this attribute takes no options".to_owned(),
        [only] => format!("the only option is {only}"),
        [init @ .., last] => format!("the options are {} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, quote};

    const NAME: Accepted = Accepted::string("name", "\"main\"");
    const FLAG: Accepted = Accepted::flag("virtual_time");
    const ACCEPTED: &[Accepted] = &[NAME, FLAG, Accepted::CRATE];

    /// The messages of the errors `attr` gets, in order.
    fn errors(attr: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        parse(attr, ACCEPTED, &mut errors);
        errors
            .0
            .into_iter()
            .flatten()
            .map(|error| error.to_string())
            .collect()
    }

    #[test]
    fn reads_every_kind() {
        let mut errors = Errors::default();
        let given = parse(
            quote!(name = "x", virtual_time, crate = my::corio,),
            ACCEPTED,
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(
            given.string(&NAME).map(|name| name.value()),
            Some("x".into())
        );
        assert!(given.flag(&FLAG));
        let krate = given
            .krate()
            .map(|krate| krate.to_token_stream().to_string());
        assert_eq!(krate.as_deref(), Some("my :: corio"));
    }

    #[test]
    fn nothing_given() {
        let mut errors = Errors::default();
        let given = parse(quote!(), ACCEPTED, &mut errors);
        assert!(errors.is_empty());
        assert!(!given.flag(&FLAG));
        assert!(given.string(&NAME).is_none() && given.krate().is_none());
    }

    #[test]
    fn every_misuse_in_one_round() {
        let list = "the options are `name = \"...\"`, `virtual_time` and `crate = path`";
        assert_eq!(
            errors(quote!(
                nmae = "x",
                name = 1,
                virtual_time = true,
                crate,
                virtual_time,
                virtual_time
            )),
            [
                format!("unknown option `nmae`; {list}"),
                format!("`name` takes a string literal, e.g. `name = \"main\"`; {list}"),
                format!("`virtual_time` takes no value: write `virtual_time`; {list}"),
                format!("`crate` takes a path, e.g. `crate = my_corio`; {list}"),
                format!("`virtual_time` is given twice; give each option once ({list})"),
            ]
        );
    }

    #[test]
    fn malformed_options() {
        let list = "the options are `name = \"...\"`, `virtual_time` and `crate = path`";
        assert_eq!(
            errors(quote!(name = "x" crate = y, , "z", crate = )),
            [
                "expected `,` after `name`'s value: separate the options with commas".to_owned(),
                format!("expected an option before this `,`; {list}"),
                format!("expected an option; {list}"),
                format!("`crate` takes a path, e.g. `crate = my_corio`; {list}"),
            ]
        );
    }
}
