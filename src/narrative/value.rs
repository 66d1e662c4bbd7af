//! Values of story variables: their types, owned values in the state, and borrowed
//! values produced while evaluating.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

/// The type of a variable or expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    /// `true` / `false`.
    Bool,
    /// A 64-bit integer.
    Int,
    /// Text.
    Str,
}

/// A variable's value, as the state holds it and saves store it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Text.
    Str(String),
}

impl Value {
    /// Borrows as an evaluation value.
    pub fn as_val(&self) -> Val<'_> {
        match self {
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(n) => Val::Int(*n),
            Value::Str(s) => Val::Str(Cow::Borrowed(s)),
        }
    }

    /// The value's type.
    pub fn ty(&self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Str(_) => Type::Str,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{s}"),
        }
    }
}

/// A value during evaluation: strings are borrowed where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val<'a> {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Text.
    Str(Cow<'a, str>),
}

impl Val<'_> {
    /// The boolean, or `false` for another type (cannot happen after type checking).
    pub fn as_bool(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    /// The integer, or 0 for another type (cannot happen after type checking).
    pub fn as_int(&self) -> i64 {
        match self {
            Val::Int(n) => *n,
            _ => 0,
        }
    }

    /// The value as text, for interpolation.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Val::Str(s) => Cow::Borrowed(s),
            Val::Int(n) => Cow::Owned(n.to_string()),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }

    /// An owned copy.
    pub fn to_value(&self) -> Value {
        match self {
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(n) => Value::Int(*n),
            Val::Str(s) => Value::Str(s.to_string()),
        }
    }

    /// Appends the value as text to `out` without an intermediate allocation.
    pub fn write_to(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Val::Str(s) => out.push_str(s),
            Val::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
}
