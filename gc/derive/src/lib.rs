//! `#[derive(Trace)]` for prologue-gc.
//!
//! The derive visits every field of a struct or of the active enum variant, which keeps rules
//! 1, 2 and 5 of `prologue_gc::Trace` by construction:
//!
//! - `#[trace(skip)]` on a field leaves it out (it must hold no handles; its type need not
//!   implement `Trace`);
//! - `#[trace(crate = "path")]` on the type names the gc crate when it is reachable only under
//!   another path (default `::prologue_gc`; `::prologue` for the facade's re-export, which is
//!   this crate's `PrologueTrace` renamed to `Trace`);
//! - every type parameter gets a `Trace` bound;
//! - the type must not implement `Drop` (a destructor may meet objects its sweep already
//!   found dead, see `Trace`'s `# Panics`; `Finalize` is the safe place for such cleanup):
//!   the derive emits an impl of a private marker trait that conflicts with a blanket impl
//!   for every `Drop` type, so a `Drop` impl is a compile error (the same trick as gc-arena's
//!   `__MustNotImplDrop`).
//!
//! `NEEDS_TRACE` is the OR of the traced fields' `NEEDS_TRACE`, so a derived type made only
//! of numbers and strings is never traced at all. A field whose type names the type itself
//! (`Box<Expr>`, `Vec<Tree>`) counts as `true`: asking the compiler would be a cycle.
//! Mutually recursive types (`A` holds `Vec<B>`, `B` holds `Box<A>`) need
//! `#[trace(recursive)]` on one of them, which makes its `NEEDS_TRACE` simply `true`.
//!
//! `DROP_IS_TRACE` (rule 5 of `Trace`) is the AND of the traced fields' `DROP_IS_TRACE` and of "has no
//! drop glue" for the skipped fields: a node of `Gc`s, `Option`s and numbers is `true`, and the
//! collector frees it by one trace. `recursive` makes it `false`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{
    parse_macro_input, parse_quote, Data, DeriveInput, Error, Fields, GenericParam, LitStr, Path,
    Type,
};

/// Implements `prologue_gc::Trace` for a struct or enum (see the crate docs).
#[proc_macro_derive(Trace, attributes(trace))]
pub fn derive_trace(input: TokenStream) -> TokenStream {
    derive_with_default_crate(input, parse_quote!(::prologue_gc))
}

/// The same derive for users of the `prologue` facade, which re-exports it under the name
/// `Trace`: its generated code names `::prologue`, the one crate such a user depends on.
///
/// A derive cannot see which crates its caller depends on, so each crate that re-exports
/// `Trace` gets the variant that names itself; `#[trace(crate = "path")]` still overrides both.
#[doc(hidden)]
#[proc_macro_derive(PrologueTrace, attributes(trace))]
pub fn derive_prologue_trace(input: TokenStream) -> TokenStream {
    derive_with_default_crate(input, parse_quote!(::prologue))
}

fn derive_with_default_crate(input: TokenStream, default_crate: Path) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(input, default_crate) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// Options on the type.
struct TypeOptions {
    krate: Path,
    /// `#[trace(recursive)]`: `NEEDS_TRACE = true` without consulting the fields.
    recursive: bool,
}

fn type_options(input: &DeriveInput, default_crate: Path) -> syn::Result<TypeOptions> {
    let mut krate = default_crate;
    let mut recursive = false;
    for attr in &input.attrs {
        if !attr.path().is_ident("trace") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let lit: LitStr = meta.value()?.parse()?;
                krate = lit.parse()?;
                Ok(())
            } else if meta.path.is_ident("recursive") {
                recursive = true;
                Ok(())
            } else if meta.path.is_ident("skip") {
                Err(meta.error("#[trace(skip)] goes on a field, not on the type"))
            } else {
                Err(meta.error("unknown trace option; expected `crate = \"path\"` or `recursive`"))
            }
        })?;
    }
    Ok(TypeOptions { krate, recursive })
}

/// Whether a field carries `#[trace(skip)]`.
fn is_skipped(field: &syn::Field) -> syn::Result<bool> {
    let mut skip = false;
    for attr in &field.attrs {
        if !attr.path().is_ident("trace") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
                Ok(())
            } else {
                Err(meta.error("unknown trace option on a field; expected `skip`"))
            }
        })?;
    }
    Ok(skip)
}

/// The fields of one struct or variant: a destructuring pattern, the bindings to trace, their
/// types, and the types of the skipped fields.
type FieldsPattern = (TokenStream2, Vec<syn::Ident>, Vec<Type>, Vec<Type>);

fn fields_pattern(fields: &Fields) -> syn::Result<FieldsPattern> {
    let mut bindings = Vec::new();
    let mut types = Vec::new();
    let mut skipped = Vec::new();
    let pattern = match fields {
        Fields::Named(named) => {
            let mut parts = Vec::new();
            for (i, field) in named.named.iter().enumerate() {
                let name = field.ident.clone().expect("named field");
                if is_skipped(field)? {
                    parts.push(quote!(#name: _));
                    skipped.push(field.ty.clone());
                } else {
                    // Bindings are named by position, not after the field: a field called `_x`
                    // or `Foo` would otherwise make a binding the naming lints warn about.
                    let binding = format_ident!("__field_{}", i, span = name.span());
                    parts.push(quote!(#name: #binding));
                    bindings.push(binding);
                    types.push(field.ty.clone());
                }
            }
            quote!({ #(#parts,)* })
        }
        Fields::Unnamed(unnamed) => {
            let mut parts = Vec::new();
            for (i, field) in unnamed.unnamed.iter().enumerate() {
                if is_skipped(field)? {
                    parts.push(quote!(_));
                    skipped.push(field.ty.clone());
                } else {
                    let binding = format_ident!("__field_{}", i, span = field.ty.span());
                    parts.push(quote!(#binding));
                    bindings.push(binding);
                    types.push(field.ty.clone());
                }
            }
            quote!(( #(#parts,)* ))
        }
        Fields::Unit => quote!(),
    };
    Ok((pattern, bindings, types, skipped))
}

/// Whether a type's tokens name `name` (or `Self`) anywhere.
fn mentions(tokens: TokenStream2, name: &syn::Ident) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == *name || ident == "Self",
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), name),
        _ => false,
    })
}

fn expand(input: DeriveInput, default_crate: Path) -> syn::Result<TokenStream2> {
    let options = type_options(&input, default_crate)?;
    let krate = &options.krate;
    let name = &input.ident;

    let mut arms = Vec::new();
    let mut all_types = Vec::new();
    let mut skipped_types = Vec::new();
    match &input.data {
        Data::Struct(data) => {
            let (pattern, bindings, types, skipped) = fields_pattern(&data.fields)?;
            arms.push(quote! {
                #name #pattern => { #( #krate::Trace::trace(#bindings, __tracer); )* }
            });
            all_types.extend(types);
            skipped_types.extend(skipped);
        }
        Data::Enum(data) => {
            for variant in &data.variants {
                let variant_name = &variant.ident;
                let (pattern, bindings, types, skipped) = fields_pattern(&variant.fields)?;
                arms.push(quote! {
                    #name::#variant_name #pattern => { #( #krate::Trace::trace(#bindings, __tracer); )* }
                });
                all_types.extend(types);
                skipped_types.extend(skipped);
            }
        }
        Data::Union(data) => {
            return Err(Error::new(
                data.union_token.span(),
                "#[derive(Trace)] does not support unions: the collector cannot know which field is active",
            ));
        }
    }

    // The impl's own generics: every type parameter must be Trace.
    let mut trace_generics = input.generics.clone();
    for param in trace_generics.params.iter_mut() {
        if let GenericParam::Type(ty) = param {
            ty.bounds.push(parse_quote!(#krate::Trace));
        }
    }
    let (impl_generics, ty_generics, where_clause) = trace_generics.split_for_impl();
    let (plain_impl_generics, plain_ty_generics, plain_where) = input.generics.split_for_impl();

    let needs_trace = if options.recursive {
        quote!(true)
    } else {
        let parts = all_types.iter().map(|ty| {
            if mentions(quote!(#ty), name) {
                // Asking `<Box<Self> as Trace>::NEEDS_TRACE` would be a cycle: assume true.
                quote!(true)
            } else {
                quote!(<#ty as #krate::Trace>::NEEDS_TRACE)
            }
        });
        quote!(false #( || #parts )*)
    };
    // Rule 7: the type has no `Drop` (refused below), so its drop glue is its fields' drops;
    // that is only the trace's handle drops if every traced field's is, and every skipped
    // field has no drop glue at all. Asking a field that names the type itself is no cycle:
    // `Gc<Self>` answers without asking `Self`, and `Box<Self>` or `Vec<Self>` ask only its
    // `NEEDS_TRACE`, which never asks its fields' `DROP_IS_TRACE`. `recursive` types answer
    // `false`.
    let drop_is_trace = if options.recursive {
        quote!(false)
    } else {
        let traced = all_types
            .iter()
            .map(|ty| quote!(<#ty as #krate::Trace>::DROP_IS_TRACE));
        let skipped = skipped_types
            .iter()
            .map(|ty| quote!(!::core::mem::needs_drop::<#ty>()));
        quote!(true #( && #traced )* #( && #skipped )*)
    };
    let body = if arms.is_empty() {
        quote!(match *self {})
    } else {
        quote!(match self { #(#arms)* })
    };

    let tokens = quote! {
        // SAFETY: generated by #[derive(Trace)]: visits every non-skipped field exactly once,
        // through a shared borrow, with no side effects; `Drop` is refused below, so the drop
        // glue is the fields' and `DROP_IS_TRACE` follows from theirs (rule 5).
        unsafe impl #impl_generics #krate::Trace for #name #ty_generics #where_clause {
            const NEEDS_TRACE: bool = #needs_trace;
            const DROP_IS_TRACE: bool = #drop_is_trace;

            #[inline]
            #[allow(unused_variables)]
            fn trace(&self, __tracer: &mut #krate::Tracer) {
                #body
            }
        }

        const _: () = {
            /// A type with `#[derive(Trace)]` must not implement `Drop`: its destructor could
            /// run during the sweep and reach objects that are already dead.
            trait __MustNotImplDrop {}
            #[allow(drop_bounds)]
            impl<T: ::core::ops::Drop> __MustNotImplDrop for T {}
            impl #plain_impl_generics __MustNotImplDrop for #name #plain_ty_generics #plain_where {}
        };
    };
    Ok(tokens)
}
