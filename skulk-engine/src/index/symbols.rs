//! Interned strings: every metric name, label name and label value the
//! catalog holds, stored once in one buffer.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::{EngineError, Result};

/// The number of an interned string.
pub(crate) type Sym = u32;

/// A string interner: the strings back to back in one buffer, their ends,
/// and a hash table of symbol numbers keyed by the strings' hashes. About
/// the string's bytes plus 13 bytes per distinct string.
#[derive(Debug, Default, Clone)]
pub(crate) struct Symbols {
    text: String,
    ends: Vec<usize>,
    table: HashTable<Sym>,
    hasher: DefaultHashBuilder,
}

impl Symbols {
    /// The symbol of `s`, if interned.
    pub fn get(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&sym| self.resolve(sym) == s)
            .copied()
    }

    /// The symbol of `s`, interning it first when new. Fails only past
    /// `u32::MAX` distinct strings.
    pub fn intern(&mut self, s: &str) -> Result<Sym> {
        let hash = self.hasher.hash_one(s);
        if let Some(&sym) = self
            .table
            .find(hash, |&sym| resolve(&self.text, &self.ends, sym) == s)
        {
            return Ok(sym);
        }
        let sym = Sym::try_from(self.ends.len()).map_err(|_| {
            EngineError::InvalidArgument("more than 2^32 distinct label strings".into())
        })?;
        self.text.push_str(s);
        self.ends.push(self.text.len());
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.table.insert_unique(hash, sym, |&other| {
            hasher.hash_one(resolve(text, ends, other))
        });
        Ok(sym)
    }

    /// The string of `sym` (empty for a symbol never handed out).
    pub fn resolve(&self, sym: Sym) -> &str {
        resolve(&self.text, &self.ends, sym)
    }

    /// Number of distinct strings.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Heap bytes held (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.table.capacity() * (std::mem::size_of::<Sym>() + 1)
    }

    /// Gives back spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.table
            .shrink_to_fit(|&sym| hasher.hash_one(resolve(text, ends, sym)));
    }
}

fn resolve<'a>(text: &'a str, ends: &[usize], sym: Sym) -> &'a str {
    let i = sym as usize;
    let end = ends.get(i).copied().unwrap_or(0);
    let start = match i.checked_sub(1) {
        Some(prev) => ends.get(prev).copied().unwrap_or(0),
        None => 0,
    };
    text.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_resolves_any_text() {
        let mut symbols = Symbols::default();
        let texts = ["", "host", "h1", "größe", "a\u{0}b", "host", "\n", ""];
        let syms: Vec<Sym> = texts.iter().map(|t| symbols.intern(t).unwrap()).collect();
        assert_eq!(symbols.len(), 6);
        for (text, sym) in texts.iter().zip(&syms) {
            assert_eq!(symbols.resolve(*sym), *text);
            assert_eq!(symbols.get(text), Some(*sym));
        }
        assert_eq!(syms[1], syms[5]);
        assert_eq!(symbols.get("absent"), None);
        symbols.shrink_to_fit();
        assert_eq!(symbols.resolve(syms[3]), "größe");
    }
}
