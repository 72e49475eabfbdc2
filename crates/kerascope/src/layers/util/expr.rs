//! The derivation expression: rendered for people, evaluated to check it against the weights.

/// A parameter-count formula with the numbers filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    N(u64),
    /// `x²`
    Sq(u64),
    Sum(Vec<Expr>),
    Prod(Vec<Expr>),
    /// The same value, in parentheses when it is a sum: one part of a larger sum.
    Group(Box<Expr>),
}

pub(crate) fn n(x: u64) -> Expr {
    Expr::N(x)
}
pub(crate) fn sq(x: u64) -> Expr {
    Expr::Sq(x)
}
pub(crate) fn sum(terms: Vec<Expr>) -> Expr {
    Expr::Sum(terms)
}
pub(crate) fn prod(factors: Vec<Expr>) -> Expr {
    Expr::Prod(factors)
}
/// The product of a shape's dims, e.g. `3·3·2·4`.
pub(crate) fn dims(shape: &[u64]) -> Expr {
    match shape {
        [single] => n(*single),
        _ if shape.is_empty() => n(1),
        _ => prod(shape.iter().map(|&d| n(d)).collect()),
    }
}

impl Expr {
    /// The value, `None` on overflow.
    pub(crate) fn eval(&self) -> Option<u64> {
        match self {
            Expr::N(x) => Some(*x),
            Expr::Sq(x) => x.checked_mul(*x),
            Expr::Sum(terms) => terms
                .iter()
                .try_fold(0u64, |acc, t| acc.checked_add(t.eval()?)),
            Expr::Prod(factors) => {
                let values: Option<Vec<u64>> = factors.iter().map(Expr::eval).collect();
                let values = values?;
                if values.contains(&0) {
                    return Some(0);
                }
                values.iter().try_fold(1u64, |acc, &v| acc.checked_mul(v))
            }
            Expr::Group(inner) => inner.eval(),
        }
    }

    fn is_atom(&self) -> bool {
        match self {
            Expr::N(_) | Expr::Sq(_) => true,
            Expr::Sum(t) | Expr::Prod(t) => t.len() == 1 && t[0].is_atom(),
            Expr::Group(inner) => inner.is_atom(),
        }
    }

    /// `4·((4096+1)·256 + 256²)`: a sum of plain numbers is written tight, other sums spaced;
    /// a sum inside a product gets parentheses.
    pub(crate) fn render(&self) -> String {
        match self {
            Expr::N(x) => x.to_string(),
            Expr::Sq(x) => format!("{x}²"),
            Expr::Sum(terms) => match terms.len() {
                0 => "0".to_string(),
                1 => terms[0].render(),
                _ => {
                    let sep = if terms.iter().all(Expr::is_atom) {
                        "+"
                    } else {
                        " + "
                    };
                    terms.iter().map(Expr::render).collect::<Vec<_>>().join(sep)
                }
            },
            Expr::Group(inner) => match inner.as_ref() {
                Expr::Sum(t) if t.len() > 1 => format!("({})", inner.render()),
                _ => inner.render(),
            },
            Expr::Prod(factors) => match factors.len() {
                0 => "1".to_string(),
                1 => factors[0].render(),
                _ => factors
                    .iter()
                    .map(|f| match f {
                        Expr::Sum(t) if t.len() > 1 => format!("({})", f.render()),
                        _ => f.render(),
                    })
                    .collect::<Vec<_>>()
                    .join("·"),
            },
        }
    }
}

/// A part of a larger sum, kept visible: `(…) + (…)`.
pub(crate) fn group(e: Expr) -> Expr {
    Expr::Group(Box::new(e))
}

/// `Prod([2, e])` when both halves are equal, else `(a) + (b)` (Bidirectional, ...).
pub(crate) fn twice_or_sum(a: Expr, b: Expr) -> Expr {
    if a == b {
        prod(vec![n(2), a])
    } else {
        sum(vec![group(a), group(b)])
    }
}
