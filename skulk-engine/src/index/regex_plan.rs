//! Which label values a regular expression can match, read off its syntax
//! tree: a finite set of strings (a literal, an alternation of literals,
//! small classes), or the literal prefixes every match starts with, or
//! nothing known. The index looks up a set and scans only the values under
//! a prefix; every candidate is still tested with the compiled expression,
//! so the plan only ever narrows the values tested, never decides a match.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Most strings a plan enumerates before giving up (a set or prefixes).
const MAX_STRINGS: usize = 256;

/// The values a regular expression may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegexPlan {
    /// It matches only (some of) these strings.
    Exact(Vec<String>),
    /// Every string it matches starts with one of these (none empty).
    Prefixes(Vec<String>),
    /// Any value may match.
    Any,
}

impl RegexPlan {
    /// The plan of `pattern` (the text inside the engine's anchors).
    pub fn of(pattern: &str) -> Self {
        let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
            return Self::Any;
        };
        if let Some(set) = exact(&hir) {
            return Self::Exact(set);
        }
        match prefixes(&hir) {
            Some(p) if !p.is_empty() && p.iter().all(|s| !s.is_empty()) => Self::Prefixes(p),
            _ => Self::Any,
        }
    }
}

/// Every string `hir` matches, when they are few and it holds no
/// look-around assertion.
fn exact(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Empty => Some(vec![String::new()]),
        HirKind::Literal(lit) => String::from_utf8(lit.0.to_vec()).ok().map(|s| vec![s]),
        HirKind::Class(class) => class_strings(class),
        HirKind::Capture(cap) => exact(&cap.sub),
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for sub in subs {
                out.extend(exact(sub)?);
                if out.len() > MAX_STRINGS {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(subs) => subs
            .iter()
            .try_fold(vec![String::new()], |acc, sub| cross(&acc, &exact(sub)?)),
        HirKind::Look(_) | HirKind::Repetition(_) => None,
    }
}

/// Prefixes every string `hir` matches starts with.
fn prefixes(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Capture(cap) => prefixes(&cap.sub),
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for sub in subs {
                out.extend(prefixes(sub)?);
                if out.len() > MAX_STRINGS {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(subs) => {
            let mut acc = vec![String::new()];
            for sub in subs {
                match exact(sub) {
                    Some(set) => acc = cross(&acc, &set)?,
                    None => {
                        // The rest may start with prefixes of its own.
                        if let Some(more) = prefixes(sub) {
                            acc = cross(&acc, &more)?;
                        }
                        break;
                    }
                }
            }
            Some(acc)
        }
        _ => exact(hir),
    }
}

/// Each string of `a` followed by each of `b`, unless too many.
fn cross(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len().saturating_mul(b.len()) > MAX_STRINGS {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
            .collect(),
    )
}

/// The characters of a small class, each as a string.
fn class_strings(class: &Class) -> Option<Vec<String>> {
    let mut out = Vec::new();
    match class {
        Class::Unicode(c) => {
            for range in c.ranges() {
                for ch in range.start()..=range.end() {
                    out.push(ch.to_string());
                    if out.len() > MAX_STRINGS {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(c) => {
            for range in c.ranges() {
                for byte in range.start()..=range.end() {
                    if !byte.is_ascii() {
                        return None;
                    }
                    out.push(char::from(byte).to_string());
                    if out.len() > MAX_STRINGS {
                        return None;
                    }
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn literals_and_alternations_are_sets() {
        assert_eq!(RegexPlan::of("h12"), RegexPlan::Exact(strings(&["h12"])));
        let mut set = match RegexPlan::of("web|db|cache(-1|-2)") {
            RegexPlan::Exact(set) => set,
            other => panic!("{other:?}"),
        };
        set.sort();
        assert_eq!(set, strings(&["cache-1", "cache-2", "db", "web"]));
        assert_eq!(RegexPlan::of("a|"), RegexPlan::Exact(strings(&["a", ""])));
        assert_eq!(
            RegexPlan::of("[ab]"),
            RegexPlan::Exact(strings(&["a", "b"]))
        );
    }

    #[test]
    fn literal_prefixes_narrow() {
        assert_eq!(
            RegexPlan::of("h12.*"),
            RegexPlan::Prefixes(strings(&["h12"]))
        );
        assert_eq!(
            RegexPlan::of("(us|eu)-.+"),
            RegexPlan::Prefixes(strings(&["us-", "eu-"]))
        );
        assert_eq!(
            RegexPlan::of("h\\d+|x.*"),
            RegexPlan::Prefixes(strings(&["h", "x"]))
        );
    }

    #[test]
    fn anything_else_scans() {
        for pattern in [".*", ".*x", "(a", "^h1", "a+", "[a-z]{3}", "h\\d+|.*"] {
            assert_eq!(RegexPlan::of(pattern), RegexPlan::Any, "{pattern}");
        }
    }
}
