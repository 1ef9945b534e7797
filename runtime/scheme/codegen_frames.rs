//! The code generator's frame layout: `let` frames as slot ranges of the enclosing
//! procedure's frame, cells for the variables `analysis` boxes, and `lambda`s (their code,
//! then the instruction that copies what they capture into a new closure).

use super::bytecode::{Op, Proto};
use super::code::LambdaId;
use super::codegen::{internal, Func, Gen, Scope};
use super::error::Result;

impl Gen<'_> {
    /// Enters a `let` frame whose `given` first variables are on the stack.
    pub(super) fn enter_let(&mut self, lambda: LambdaId, given: usize) -> Result<()> {
        let offset = self.enter_scope(lambda)?;
        for i in (0..given as u16).rev() {
            self.emit(Op::SetLocal(offset + i));
        }
        let size = self.code.lambda(lambda).frame_size;
        self.clear_and_box(lambda, offset, given, size)
    }

    /// Gives the frame of `lambda` (a `let`'s, or an inlined loop's) a range of slots of the
    /// running procedure's frame, with no code; returns its first slot.
    pub(super) fn enter_scope(&mut self, lambda: LambdaId) -> Result<u16> {
        let size = self.code.lambda(lambda).frame_size;
        let func = self.func();
        let offset = func.next_slot;
        let end = usize::from(offset) + size;
        let end = u16::try_from(end).map_err(|_| internal("frame too large"))?;
        func.next_slot = end;
        func.max_slot = func.max_slot.max(end);
        let func = self.funcs.len() - 1;
        self.scopes.push(Scope {
            lambda,
            func,
            offset,
        });
        Ok(offset)
    }

    /// Marks the `size - given` last slots of a frame entered at `offset` as holding no
    /// value yet, and puts its boxed variables in cells.
    pub(super) fn clear_and_box(
        &mut self,
        lambda: LambdaId,
        offset: u16,
        given: usize,
        size: usize,
    ) -> Result<()> {
        let end =
            u16::try_from(usize::from(offset) + size).map_err(|_| internal("frame too large"))?;
        if (given as u16) < end - offset {
            self.emit(Op::Clear(offset + given as u16, end));
        }
        self.make_cells(lambda, offset, given, size);
        Ok(())
    }

    pub(super) fn exit_let(&mut self) {
        if let Some(scope) = self.scopes.pop() {
            self.func().next_slot = scope.offset;
        }
    }

    /// Puts the boxed variables of a new frame in cells: parameters keep their value.
    fn make_cells(&mut self, lambda: LambdaId, offset: u16, params: usize, size: usize) {
        for i in 0..size as u16 {
            if self.boxed.contains(&(lambda, i)) {
                self.emit(if usize::from(i) < params {
                    Op::MakeCell(offset + i)
                } else {
                    Op::NewCell(offset + i)
                });
            }
        }
    }

    /// A `lambda`: its code (jumped over here), then the instruction that makes the closure.
    pub(super) fn lambda(&mut self, lambda: LambdaId) -> Result<()> {
        let l = self.code.lambda(lambda);
        let size = u16::try_from(l.frame_size).map_err(|_| internal("frame too large"))?;
        let params = l.required + usize::from(l.rest);
        let over = self.emit(Op::Jump(0));
        let entry = self.prog.here();
        self.funcs.push(Func {
            lambda: Some(lambda),
            free: Vec::new(),
            next_slot: size,
            max_slot: size,
            global: self.defining.filter(|(l, _)| *l == lambda).map(|(_, g)| g),
        });
        let func = self.funcs.len() - 1;
        self.scopes.push(Scope {
            lambda,
            func,
            offset: 0,
        });
        self.make_cells(lambda, 0, params, l.frame_size);
        let body = self.expr(l.body, true);
        self.scopes.pop();
        let done = self.funcs.pop().ok_or_else(|| internal("no procedure"))?;
        body?;
        let here = self.prog.here();
        self.prog.patch(over, here);
        self.prog.protos.push(Proto {
            entry,
            required: l.required as u16,
            rest: l.rest,
            frame_size: done.max_slot,
            name: l.name.clone(),
        });
        let proto = (self.prog.protos.len() - 1) as u32;
        for key in &done.free {
            let op = match self.scopes.iter().rposition(|s| s.lambda == key.0) {
                Some(at) if self.scopes[at].func == self.funcs.len() - 1 => {
                    Op::LocalRaw(self.scopes[at].offset + key.1)
                }
                Some(_) => Op::FreeRaw(self.free_index(*key)),
                None => return Err(internal("captured variable out of scope")),
            };
            self.emit(op);
        }
        let free = u16::try_from(done.free.len()).map_err(|_| internal("too many captures"))?;
        self.emit(Op::Closure { proto, free });
        Ok(())
    }
}
