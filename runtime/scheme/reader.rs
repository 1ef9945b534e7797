//! The reader: source text to [`Syntax`] trees that remember where each datum started.
//!
//! The reader builds plain Rust data, not heap values: the compiler turns code into nodes and
//! only quoted data into heap objects. Nesting is bounded ([`MAX_NESTING`]) so that neither
//! the reader nor the compiler, which recurse over the tree, can exhaust the native stack.

use super::atoms::{char_from_name, parse_atom, parse_number};
use super::error::{Pos, Result, SchemeError};

/// The deepest nesting of lists and vectors the reader accepts.
pub const MAX_NESTING: usize = 256;

/// A datum with the position of its first character.
#[derive(Clone, Debug, PartialEq)]
pub struct Syntax {
    /// What was read.
    pub datum: Datum,
    /// Where it starts.
    pub pos: Pos,
}

/// The data the reader produces.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    /// `#t` or `#f`.
    Bool(bool),
    /// An exact integer.
    Int(i64),
    /// A flonum.
    Float(f64),
    /// `#\a`.
    Char(char),
    /// `"text"`.
    Str(String),
    /// An identifier.
    Symbol(String),
    /// A list: its items and, for a dotted list, the tail after the dot.
    List(Vec<Syntax>, Option<Box<Syntax>>),
    /// `#(...)`.
    Vector(Vec<Syntax>),
}

impl Syntax {
    /// The symbol's name, if this is a symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match &self.datum {
            Datum::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a proper list, if this is one.
    pub fn as_list(&self) -> Option<&[Syntax]> {
        match &self.datum {
            Datum::List(items, None) => Some(items),
            _ => None,
        }
    }
}

/// Reads every datum of `src`.
#[cfg(test)]
pub fn read_all(src: &str) -> Result<Vec<Syntax>> {
    let mut reader = Reader::new(src);
    let mut out = Vec::new();
    while let Some(d) = reader.next_datum()? {
        out.push(d);
    }
    Ok(out)
}

/// A cursor over source text that yields one datum at a time.
pub struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
    /// Bytes consumed so far.
    consumed: usize,
}

/// What `read_item` found: a datum, or a closing parenthesis / dot a list is waiting for.
enum Item {
    Datum(Syntax),
    Close(Pos),
    Dot(Pos),
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"' | ';' | '\'' | '`' | ',')
}

impl<'a> Reader<'a> {
    /// A reader at the start of `src`.
    pub fn new(src: &'a str) -> Reader<'a> {
        Reader {
            chars: src.chars().peekable(),
            line: 1,
            col: 1,
            consumed: 0,
        }
    }

    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        self.consumed += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    /// How many bytes of the text it has consumed (`read` on a string port goes on from
    /// there).
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The next datum, or `None` at the end of the text.
    pub fn next_datum(&mut self) -> Result<Option<Syntax>> {
        match self.read_item(0)? {
            None => Ok(None),
            Some(Item::Datum(d)) => Ok(Some(d)),
            Some(Item::Close(p)) => Err(SchemeError::at(p, "unexpected ')'")),
            Some(Item::Dot(p)) => Err(SchemeError::at(p, "unexpected '.'")),
        }
    }

    /// Skips whitespace and all three kinds of comments.
    fn skip_atmosphere(&mut self, depth: usize) -> Result<()> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some(';') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                Some('#') => {
                    let mut ahead = self.chars.clone();
                    ahead.next();
                    match ahead.next() {
                        Some('|') => self.skip_block_comment()?,
                        Some(';') => {
                            let pos = self.pos();
                            self.bump();
                            self.bump();
                            match self.read_item(depth)? {
                                Some(Item::Datum(_)) => {}
                                _ => return Err(SchemeError::at(pos, "'#;' without a datum")),
                            }
                        }
                        _ => return Ok(()),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_block_comment(&mut self) -> Result<()> {
        let pos = self.pos();
        self.bump();
        self.bump();
        let mut level = 1usize;
        loop {
            match self.bump() {
                None => return Err(SchemeError::at(pos, "unterminated block comment")),
                Some('|') if self.peek() == Some('#') => {
                    self.bump();
                    level -= 1;
                    if level == 0 {
                        return Ok(());
                    }
                }
                Some('#') if self.peek() == Some('|') => {
                    self.bump();
                    level += 1;
                }
                Some(_) => {}
            }
        }
    }

    fn read_item(&mut self, depth: usize) -> Result<Option<Item>> {
        self.skip_atmosphere(depth)?;
        let pos = self.pos();
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        if depth >= MAX_NESTING && matches!(c, '(' | '[' | '#' | '\'' | '`' | ',') {
            return Err(SchemeError::at(
                pos,
                format!("nesting deeper than {MAX_NESTING} levels"),
            ));
        }
        let datum = match c {
            '(' | '[' => {
                self.bump();
                self.read_list(pos, depth + 1)?
            }
            ')' | ']' => {
                self.bump();
                return Ok(Some(Item::Close(pos)));
            }
            '\'' | '`' | ',' => {
                self.bump();
                let name = match c {
                    '\'' => "quote",
                    '`' => "quasiquote",
                    _ if self.peek() == Some('@') => {
                        self.bump();
                        "unquote-splicing"
                    }
                    _ => "unquote",
                };
                let inner = match self.read_item(depth + 1)? {
                    Some(Item::Datum(d)) => d,
                    _ => return Err(SchemeError::at(pos, format!("'{name}' without a datum"))),
                };
                let head = Syntax {
                    datum: Datum::Symbol(name.to_string()),
                    pos,
                };
                Datum::List(vec![head, inner], None)
            }
            '"' => {
                self.bump();
                Datum::Str(self.read_string(pos)?)
            }
            '#' => self.read_hash(pos, depth)?,
            '|' => {
                self.bump();
                let mut name = String::new();
                loop {
                    match self.bump() {
                        None => return Err(SchemeError::at(pos, "unterminated |symbol|")),
                        Some('|') => break,
                        Some(ch) => name.push(ch),
                    }
                }
                Datum::Symbol(name)
            }
            _ => {
                let token = self.read_token();
                if token == "." {
                    return Ok(Some(Item::Dot(pos)));
                }
                parse_atom(&token).map_err(|m| SchemeError::at(pos, m))?
            }
        };
        Ok(Some(Item::Datum(Syntax { datum, pos })))
    }

    fn read_token(&mut self) -> String {
        let mut token = String::new();
        while let Some(c) = self.peek() {
            if is_delimiter(c) || c == '[' || c == ']' || c == '|' {
                break;
            }
            token.push(c);
            self.bump();
        }
        token
    }

    fn read_list(&mut self, open: Pos, depth: usize) -> Result<Datum> {
        let mut items = Vec::new();
        loop {
            match self.read_item(depth)? {
                None => return Err(SchemeError::at(open, "unterminated list: missing ')'")),
                // ')' and ']' close any list: R7RS has no brackets, some programs use them.
                Some(Item::Close(_)) => return Ok(Datum::List(items, None)),
                Some(Item::Dot(p)) => {
                    if items.is_empty() {
                        return Err(SchemeError::at(p, "'.' at the start of a list"));
                    }
                    let tail = match self.read_item(depth)? {
                        Some(Item::Datum(d)) => d,
                        _ => return Err(SchemeError::at(p, "'.' without a datum after it")),
                    };
                    return match self.read_item(depth)? {
                        Some(Item::Close(_)) => Ok(Datum::List(items, Some(Box::new(tail)))),
                        None => Err(SchemeError::at(open, "unterminated list: missing ')'")),
                        _ => Err(SchemeError::at(p, "more than one datum after '.'")),
                    };
                }
                Some(Item::Datum(d)) => items.push(d),
            }
        }
    }

    fn read_string(&mut self, open: Pos) -> Result<String> {
        let mut s = String::new();
        loop {
            let pos = self.pos();
            match self.bump() {
                None => return Err(SchemeError::at(open, "unterminated string")),
                Some('"') => return Ok(s),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('a') => s.push('\u{7}'),
                    Some('b') => s.push('\u{8}'),
                    Some('0') => s.push('\0'),
                    Some('\\') => s.push('\\'),
                    Some('"') => s.push('"'),
                    Some('|') => s.push('|'),
                    Some('x') | Some('X') => {
                        let mut hex = String::new();
                        loop {
                            match self.bump() {
                                Some(';') => break,
                                Some(h) if h.is_ascii_hexdigit() && hex.len() < 8 => hex.push(h),
                                _ => return Err(SchemeError::at(pos, "bad \\x escape in string")),
                            }
                        }
                        let ch = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| SchemeError::at(pos, "bad \\x escape in string"))?;
                        s.push(ch);
                    }
                    Some(c) if c == '\n' || c == ' ' || c == '\t' => {
                        // Line continuation: skip the rest of this line's blanks and the next
                        // line's leading blanks.
                        let mut c = c;
                        while c != '\n' {
                            match self.bump() {
                                Some(n) if n == ' ' || n == '\t' || n == '\n' => c = n,
                                _ => return Err(SchemeError::at(pos, "bad escape in string")),
                            }
                        }
                        while matches!(self.peek(), Some(' ') | Some('\t')) {
                            self.bump();
                        }
                    }
                    _ => return Err(SchemeError::at(pos, "bad escape in string")),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn read_hash(&mut self, pos: Pos, depth: usize) -> Result<Datum> {
        self.bump();
        match self.peek() {
            Some('(') => {
                self.bump();
                match self.read_list(pos, depth + 1)? {
                    Datum::List(items, None) => Ok(Datum::Vector(items)),
                    _ => Err(SchemeError::at(pos, "a vector cannot be dotted")),
                }
            }
            Some('\\') => {
                self.bump();
                let first = self
                    .bump()
                    .ok_or_else(|| SchemeError::at(pos, "'#\\' at the end of input"))?;
                let mut name = String::from(first);
                while let Some(c) = self.peek() {
                    if is_delimiter(c) || c == '[' || c == ']' {
                        break;
                    }
                    name.push(c);
                    self.bump();
                }
                char_from_name(&name)
                    .map(Datum::Char)
                    .ok_or_else(|| SchemeError::at(pos, format!("unknown character #\\{name}")))
            }
            _ => {
                let token = self.read_token();
                match token.as_str() {
                    "t" | "true" => Ok(Datum::Bool(true)),
                    "f" | "false" => Ok(Datum::Bool(false)),
                    _ => {
                        let full = format!("#{token}");
                        match parse_number(&full) {
                            Some(Ok(d)) => Ok(d),
                            Some(Err(m)) => Err(SchemeError::at(pos, m)),
                            None => Err(SchemeError::at(pos, format!("bad syntax '{full}'"))),
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Datum {
        let mut all = read_all(src).unwrap();
        assert_eq!(all.len(), 1, "{src}");
        all.pop().unwrap().datum
    }

    fn sym(s: &str) -> Datum {
        Datum::Symbol(s.into())
    }

    #[test]
    fn atoms() {
        assert_eq!(one("42"), Datum::Int(42));
        assert_eq!(one("-7"), Datum::Int(-7));
        assert_eq!(one("#xff"), Datum::Int(255));
        assert_eq!(one("1.5"), Datum::Float(1.5));
        assert_eq!(one(".5"), Datum::Float(0.5));
        assert_eq!(one("1e3"), Datum::Float(1000.0));
        assert_eq!(one("#t"), Datum::Bool(true));
        assert_eq!(one("#false"), Datum::Bool(false));
        assert_eq!(one("#\\a"), Datum::Char('a'));
        assert_eq!(one("#\\space"), Datum::Char(' '));
        assert_eq!(one("#\\x41"), Datum::Char('A'));
        assert_eq!(one("\"a\\n\\\"b\""), Datum::Str("a\n\"b".into()));
        assert_eq!(one("foo-bar?"), sym("foo-bar?"));
        assert_eq!(one("..."), sym("..."));
        assert_eq!(one("+"), sym("+"));
        assert_eq!(one("-"), sym("-"));
        assert_eq!(one("1+"), sym("1+"));
        assert_eq!(one("|a b|"), sym("a b"));
    }

    #[test]
    fn lists_quotes_and_comments() {
        let d = one("; comment\n(a #| block #| nested |# |# . #;(skipped) b)");
        match d {
            Datum::List(items, Some(tail)) => {
                assert_eq!(items.len(), 1);
                assert_eq!(tail.datum, sym("b"));
            }
            other => panic!("{other:?}"),
        }
        match one("'x") {
            Datum::List(items, None) => {
                assert_eq!(items[0].datum, sym("quote"));
                assert_eq!(items[1].datum, sym("x"));
            }
            other => panic!("{other:?}"),
        }
        match one(",@x") {
            Datum::List(items, None) => assert_eq!(items[0].datum, sym("unquote-splicing")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(one("#(1 2)"), Datum::Vector(v) if v.len() == 2));
    }

    #[test]
    fn positions_are_line_and_column() {
        let all = read_all("(a\n  b)\n  c").unwrap();
        assert_eq!(all[0].pos, Pos::new(1, 1));
        assert_eq!(all[0].as_list().unwrap()[1].pos, Pos::new(2, 3));
        assert_eq!(all[1].pos, Pos::new(3, 3));
    }

    #[test]
    fn errors_have_positions() {
        let e = read_all("(a b").unwrap_err();
        assert_eq!(e.pos, Some(Pos::new(1, 1)));
        assert!(e.message.contains("unterminated"));
        let e = read_all("\n  )").unwrap_err();
        assert_eq!(e.pos, Some(Pos::new(2, 3)));
        assert!(read_all("\"abc").is_err());
        assert!(read_all("(1 . )").is_err());
        assert!(read_all("(1 . 2 3)").is_err());
        assert!(read_all("#\\bogus").is_err());
        assert!(read_all("99999999999999999999").is_err());
        assert!(read_all("1/2").is_err());
        assert!(read_all("#|").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "(".repeat(MAX_NESTING + 5);
        let e = read_all(&deep).unwrap_err();
        assert!(e.message.contains("nesting"), "{e}");
        let quotes = "'".repeat(MAX_NESTING + 5) + "x";
        assert!(read_all(&quotes).is_err());
        let ok = "(".repeat(100) + &")".repeat(100);
        assert!(read_all(&ok).is_ok());
    }
}
