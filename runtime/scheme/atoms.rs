//! Atoms of the reader: numeric literals (integers in four radixes, decimals, the
//! infinities and NaN) and character names.

use super::reader::Datum;

/// The character a `#\\name` names (`a`, `space`, `x41`, ...).
pub fn char_from_name(name: &str) -> Option<char> {
    let mut chars = name.chars();
    let first = chars.next()?;
    if chars.next().is_none() {
        return Some(first);
    }
    Some(match name {
        "space" => ' ',
        "newline" | "linefeed" | "nl" => '\n',
        "tab" => '\t',
        "return" => '\r',
        "nul" | "null" => '\0',
        "alarm" => '\u{7}',
        "backspace" => '\u{8}',
        "delete" | "rubout" => '\u{7f}',
        "escape" | "altmode" => '\u{1b}',
        _ if name.starts_with('x') || name.starts_with('U') || name.starts_with('u') => {
            char::from_u32(u32::from_str_radix(&name[1..], 16).ok()?)?
        }
        _ => return None,
    })
}

/// An atom that is not a `#` form: a number, or else a symbol.
pub fn parse_atom(token: &str) -> std::result::Result<Datum, String> {
    match parse_number(token) {
        Some(r) => r,
        None => Ok(Datum::Symbol(token.to_string())),
    }
}

/// Parses a numeric literal. `None` means "not a number" (so a symbol); `Some(Err)` means a
/// number the interpreter cannot represent.
pub fn parse_number(token: &str) -> Option<std::result::Result<Datum, String>> {
    let mut radix = 10;
    let mut exactness = None;
    let mut rest = token;
    while rest.len() >= 2 && rest.starts_with('#') {
        match rest.as_bytes()[1].to_ascii_lowercase() {
            b'x' => radix = 16,
            b'b' => radix = 2,
            b'o' => radix = 8,
            b'd' => radix = 10,
            b'e' => exactness = Some(true),
            b'i' => exactness = Some(false),
            _ => return None,
        }
        rest = &rest[2..];
    }
    let prefixed = rest.len() != token.len();
    let n = parse_real(rest, radix);
    let n = match n {
        Some(n) => n,
        None if prefixed => return Some(Err(format!("bad number '{token}'"))),
        None => return None,
    };
    Some(match (n, exactness) {
        (Ok(Datum::Int(i)), Some(false)) => Ok(Datum::Float(i as f64)),
        (Ok(Datum::Float(f)), Some(true)) => {
            if f.fract() == 0.0 && f.abs() < 9.2e18 {
                Ok(Datum::Int(f as i64))
            } else {
                Err(format!("cannot make '{token}' exact"))
            }
        }
        (other, _) => other,
    })
}

fn parse_real(s: &str, radix: u32) -> Option<std::result::Result<Datum, String>> {
    match s {
        "+inf.0" => return Some(Ok(Datum::Float(f64::INFINITY))),
        "-inf.0" => return Some(Ok(Datum::Float(f64::NEG_INFINITY))),
        "+nan.0" | "-nan.0" => return Some(Ok(Datum::Float(f64::NAN))),
        _ => {}
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    if digits.chars().all(|c| c.is_digit(radix)) {
        return Some(
            i64::from_str_radix(s, radix)
                .map(Datum::Int)
                .map_err(|_| format!("integer literal '{s}' does not fit in 64 bits")),
        );
    }
    if radix != 10 {
        return None;
    }
    if let Some((num, den)) = digits.split_once('/') {
        if !num.is_empty()
            && !den.is_empty()
            && num.chars().all(|c| c.is_ascii_digit())
            && den.chars().all(|c| c.is_ascii_digit())
        {
            return Some(Err(format!("rational numbers are not supported: '{s}'")));
        }
        return None;
    }
    // A decimal: digits with at most one '.', an optional exponent, and at least one digit.
    let bytes = digits.as_bytes();
    let mut i = 0;
    let mut saw_digit = false;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        saw_digit = true;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            saw_digit = true;
        }
    }
    if !saw_digit {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    s.parse::<f64>().ok().map(|f| Ok(Datum::Float(f)))
}
