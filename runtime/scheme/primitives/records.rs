//! `define-record-type` at run time: record type descriptors and the procedures over them.
//! The compiler expands the form into calls of the internal primitives here.

use super::{list_items, Primitive};
use crate::scheme::ctx::Ctx;
use crate::scheme::error::{bail, Result, SchemeError};
use crate::scheme::gc::{Gc, GcStr};
use crate::scheme::value::{Record, RecordProc, RecordType, Slot, Value};

/// No user-visible globals: every record primitive is internal.
pub static PRIMITIVES: &[Primitive] = &[];

fn symbol(v: &Value) -> Result<GcStr> {
    match v {
        Value::Symbol(s) => Ok(s.clone()),
        _ => bail!("define-record-type: expected a symbol"),
    }
}

fn rtype(v: &Value) -> Result<Gc<RecordType>> {
    match v {
        Value::RecordType(t) => Ok(t.clone()),
        _ => bail!("define-record-type: the type name was rebound"),
    }
}

fn field_index(t: &RecordType, name: &Value) -> Result<usize> {
    let name = symbol(name)?;
    t.fields
        .iter()
        .position(|f| **f == *name)
        .ok_or_else(|| SchemeError::new(format!("record type {} has no field {}", t.name, name)))
}

pub fn make_record_type(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let name = symbol(&a[0])?;
    let fields = list_items("make-record-type", &a[1])?
        .iter()
        .map(symbol)
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::RecordType(ctx.alloc(RecordType { name, fields })?))
}

pub fn record_constructor(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let t = rtype(&a[0])?;
    let fields = list_items("record-constructor", &a[1])?
        .iter()
        .map(|f| field_index(&t, f))
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::RecordProc(
        ctx.alloc(RecordProc::Constructor { rtype: t, fields })?,
    ))
}

pub fn record_predicate(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::RecordProc(
        ctx.alloc(RecordProc::Predicate(rtype(&a[0])?))?,
    ))
}

pub fn record_accessor(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let t = rtype(&a[0])?;
    let i = field_index(&t, &a[1])?;
    Ok(Value::RecordProc(ctx.alloc(RecordProc::Accessor(t, i))?))
}

pub fn record_modifier(ctx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let t = rtype(&a[0])?;
    let i = field_index(&t, &a[1])?;
    Ok(Value::RecordProc(ctx.alloc(RecordProc::Modifier(t, i))?))
}

/// Calls a record procedure (the machine's apply lands here).
pub fn call_record_proc(ctx: &mut Ctx, rp: &RecordProc, args: &[Value]) -> Result<Value> {
    let expect = |n: usize, what: &str| -> Result<()> {
        if args.len() != n {
            bail!(
                "wrong number of arguments to record {what}: expected {n}, got {}",
                args.len()
            );
        }
        Ok(())
    };
    let instance = |t: &Gc<RecordType>, what: &str| -> Result<Gc<Record>> {
        match &args[0] {
            Value::Record(r) if Gc::ptr_eq(&r.rtype, t) => Ok(r.clone()),
            v => Err(super::wrong_type(
                &format!("record {what}"),
                &format!("a record of type {}", t.name),
                v,
            )),
        }
    };
    match rp {
        RecordProc::Constructor { rtype, fields } => {
            expect(fields.len(), "constructor")?;
            let mut slots: Vec<Slot> = (0..rtype.fields.len())
                .map(|_| Slot::new(Value::Bool(false)))
                .collect();
            for (arg, &i) in args.iter().zip(fields) {
                slots[i] = Slot::new(arg.clone());
            }
            Ok(Value::Record(ctx.alloc(Record {
                rtype: rtype.clone(),
                fields: slots,
            })?))
        }
        RecordProc::Predicate(t) => {
            expect(1, "predicate")?;
            Ok(Value::Bool(
                matches!(&args[0], Value::Record(r) if Gc::ptr_eq(&r.rtype, t)),
            ))
        }
        RecordProc::Accessor(t, i) => {
            expect(1, "accessor")?;
            Ok(instance(t, "accessor")?.fields[*i].get())
        }
        RecordProc::Modifier(t, i) => {
            expect(2, "modifier")?;
            instance(t, "modifier")?.fields[*i].set(args[1].clone());
            Ok(Value::Unspecified)
        }
    }
}
