//! Evaluates `@aggregate(arg:)` expressions ([`sprig_manifest::sqlexpr::Expr`]) on one source
//! row with PostgreSQL's semantics, since graph-node hands them to PostgreSQL and Sprig's
//! numbers are byte keys SQL cannot compute with (see `rollup.rs`).
//!
//! Types are PostgreSQL's: `int4` and `int8` with overflow errors, truncating division and
//! `division by zero` errors, and `numeric` as an exact value with a display scale (the digits
//! after the point PostgreSQL prints): `+ - *` are exact, `/` rounds half away from zero at the
//! scale PostgreSQL's `select_div_scale` picks (at least 16 significant digits, never fewer
//! decimals than either input shows). Mixed types are promoted `int4 < int8 < numeric`; NULL
//! propagates; `CASE` and `COALESCE` evaluate lazily, as PostgreSQL does at run time.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use anyhow::{anyhow, bail, Result};
use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};
use sprig_manifest::sqlexpr::{BinaryOp, Expr, Function, IsTest};
use sprig_manifest::{ScalarType, SqlType};
use sprig_value::{BigDecimal, Entity, Value};

/// PostgreSQL's `NUMERIC_MIN_SIG_DIGITS`: divisions give at least this many significant digits.
const MIN_SIG_DIGITS: i64 = 16;
/// PostgreSQL's `NUMERIC_MAX_DISPLAY_SCALE`.
const MAX_DISPLAY_SCALE: i64 = 1000;
/// Decimal digits per digit of PostgreSQL's base-10000 numeric representation (`DEC_DIGITS`);
/// the division scale is chosen in whole base-10000 digits.
const DEC_DIGITS: i64 = 4;

/// An exact PostgreSQL `numeric`: `digits / 10^scale`, where `scale` is the display scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Numeric {
    digits: BigInt,
    scale: u32,
}

fn pow10(n: u32) -> BigInt {
    num_traits::pow(BigInt::from(10), n as usize)
}

/// `n / d` rounded half away from zero.
fn div_round(n: &BigInt, d: &BigInt) -> BigInt {
    let (q, r) = n.div_rem(d);
    if (r.abs() * 2u32) >= d.abs() {
        if (n.sign() == Sign::Minus) != (d.sign() == Sign::Minus) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

impl Numeric {
    fn int(i: impl Into<BigInt>) -> Numeric {
        Numeric {
            digits: i.into(),
            scale: 0,
        }
    }

    /// PostgreSQL's reading of a numeric literal (`12`, `-0.50`, `1.5e3`, `.5`): the display
    /// scale is the digits after the point less the exponent, at least 0.
    pub(crate) fn parse(text: &str) -> Result<Numeric> {
        let bad = || anyhow!("invalid numeric literal `{text}`");
        let (mantissa, exp) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i64>().map_err(|_| bad())?),
            None => (text, 0),
        };
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let mut digits: BigInt = format!("0{int}{frac}").parse().map_err(|_| bad())?;
        if negative {
            digits = -digits;
        }
        let scale = frac.len() as i64 - exp;
        if scale < 0 {
            let up = u32::try_from(-scale).map_err(|_| bad())?;
            Ok(Numeric {
                digits: digits * pow10(up),
                scale: 0,
            })
        } else {
            Ok(Numeric {
                digits,
                scale: u32::try_from(scale).map_err(|_| bad())?,
            })
        }
    }

    fn at_scale(&self, scale: u32) -> BigInt {
        debug_assert!(scale >= self.scale);
        &self.digits * pow10(scale - self.scale)
    }

    fn add(&self, other: &Numeric) -> Numeric {
        let scale = self.scale.max(other.scale);
        Numeric {
            digits: self.at_scale(scale) + other.at_scale(scale),
            scale,
        }
    }

    fn neg(&self) -> Numeric {
        Numeric {
            digits: -&self.digits,
            scale: self.scale,
        }
    }

    fn mul(&self, other: &Numeric) -> Numeric {
        Numeric {
            digits: &self.digits * &other.digits,
            scale: self.scale + other.scale,
        }
    }

    /// PostgreSQL's base-10000 weight and first base-10000 digit of the value (0, 0 for zero).
    fn weight_and_first_digit(&self) -> (i64, i64) {
        if self.digits.is_zero() {
            return (0, 0);
        }
        let abs = self.digits.abs().to_string();
        // The power of ten of the leading decimal digit.
        let lead = abs.len() as i64 - 1 - i64::from(self.scale);
        let weight = lead.div_euclid(DEC_DIGITS);
        let first_len = (lead - weight * DEC_DIGITS + 1) as usize;
        let first = abs[..first_len.min(abs.len())].parse::<i64>().unwrap_or(0)
            * 10i64.pow(first_len.saturating_sub(abs.len()) as u32);
        (weight, first)
    }

    /// PostgreSQL's `select_div_scale`.
    fn div_scale(&self, other: &Numeric) -> u32 {
        let (w1, f1) = self.weight_and_first_digit();
        let (w2, f2) = other.weight_and_first_digit();
        let mut qweight = w1 - w2;
        if f1 <= f2 {
            qweight -= 1;
        }
        let scale = (MIN_SIG_DIGITS - qweight * DEC_DIGITS)
            .max(i64::from(self.scale))
            .max(i64::from(other.scale))
            .clamp(0, MAX_DISPLAY_SCALE);
        scale as u32
    }

    fn check_divisor(&self) -> Result<()> {
        if self.digits.is_zero() {
            bail!("division by zero");
        }
        Ok(())
    }

    /// `self / other` as PostgreSQL's `numeric_div`.
    fn div(&self, other: &Numeric) -> Result<Numeric> {
        other.check_divisor()?;
        let scale = self.div_scale(other);
        // digits1/10^s1 / (digits2/10^s2) * 10^scale
        let n = &self.digits * pow10(scale + other.scale - self.scale);
        Ok(Numeric {
            digits: div_round(&n, &other.digits),
            scale,
        })
    }

    /// The quotient truncated towards zero (PostgreSQL's `div`), scale 0.
    fn div_trunc(&self, other: &Numeric) -> Result<Numeric> {
        other.check_divisor()?;
        let scale = self.scale.max(other.scale);
        Ok(Numeric::int(self.at_scale(scale) / other.at_scale(scale)))
    }

    /// `self - trunc(self / other) * other`, at the larger scale (PostgreSQL's `mod_var`).
    fn modulo(&self, other: &Numeric) -> Result<Numeric> {
        other.check_divisor()?;
        let scale = self.scale.max(other.scale);
        Ok(Numeric {
            digits: self.at_scale(scale) % other.at_scale(scale),
            scale,
        })
    }

    fn gcd(&self, other: &Numeric) -> Numeric {
        let scale = self.scale.max(other.scale);
        Numeric {
            digits: self.at_scale(scale).gcd(&other.at_scale(scale)),
            scale,
        }
    }

    fn lcm(&self, other: &Numeric) -> Numeric {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.at_scale(scale), other.at_scale(scale));
        let digits = if a.is_zero() || b.is_zero() {
            BigInt::zero()
        } else {
            (&a / a.gcd(&b) * &b).abs()
        };
        Numeric { digits, scale }
    }

    fn abs(&self) -> Numeric {
        Numeric {
            digits: self.digits.abs(),
            scale: self.scale,
        }
    }

    /// The smallest integer not below the value, scale 0.
    fn ceil(&self) -> Numeric {
        let d = pow10(self.scale);
        let (q, r) = self.digits.div_rem(&d);
        Numeric::int(if r.is_positive() { q + 1 } else { q })
    }

    fn sign(&self) -> Numeric {
        Numeric::int(match self.digits.sign() {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        })
    }

    /// Rounded half away from zero to an integer, as PostgreSQL's casts to integers round.
    fn round(&self) -> BigInt {
        div_round(&self.digits, &pow10(self.scale))
    }

    fn cmp(&self, other: &Numeric) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.at_scale(scale).cmp(&other.at_scale(scale))
    }

    /// The value as Sprig's 34-digit `BigDecimal` (what graph-node reads back from the column).
    fn to_big_decimal(&self) -> Result<BigDecimal> {
        Ok(BigDecimal::new(
            sprig_value::BigInt::from(self.digits.clone()),
            -i64::from(self.scale),
        )?)
    }

    fn from_big_decimal(d: &BigDecimal) -> Numeric {
        let (digits, exp) = d.digits_and_exp();
        let digits = digits.inner().clone();
        if exp >= 0 {
            Numeric::int(digits * pow10(exp as u32))
        } else {
            Numeric {
                digits,
                scale: (-exp) as u32,
            }
        }
    }
}

impl fmt::Display for Numeric {
    /// PostgreSQL's output: all `scale` decimals, no exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.digits.abs().to_string();
        let scale = self.scale as usize;
        let padded = if abs.len() <= scale {
            format!("{}{abs}", "0".repeat(scale + 1 - abs.len()))
        } else {
            abs
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        if self.digits.is_negative() {
            f.write_str("-")?;
        }
        f.write_str(int)?;
        if scale > 0 {
            write!(f, ".{frac}")?;
        }
        Ok(())
    }
}

/// A value of an expression, with its PostgreSQL type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PgValue {
    Null,
    Bool(bool),
    Int4(i32),
    Int8(i64),
    Numeric(Numeric),
}

impl fmt::Display for PgValue {
    /// As `psql` prints it (`t`/`f` for booleans, empty for NULL).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgValue::Null => Ok(()),
            PgValue::Bool(b) => f.write_str(if *b { "t" } else { "f" }),
            PgValue::Int4(i) => write!(f, "{i}"),
            PgValue::Int8(i) => write!(f, "{i}"),
            PgValue::Numeric(n) => write!(f, "{n}"),
        }
    }
}

fn int4_range() -> anyhow::Error {
    anyhow!("integer out of range")
}

fn int8_range() -> anyhow::Error {
    anyhow!("bigint out of range")
}

impl PgValue {
    fn numeric(&self) -> Numeric {
        match self {
            PgValue::Int4(i) => Numeric::int(*i),
            PgValue::Int8(i) => Numeric::int(*i),
            PgValue::Numeric(n) => n.clone(),
            PgValue::Null | PgValue::Bool(_) => unreachable!("checked at load: a number"),
        }
    }

    /// The value as `to` (a cast; implicit promotions are casts too). NULL stays NULL.
    pub(crate) fn cast(self, to: SqlType) -> Result<PgValue> {
        Ok(match (self, to) {
            (PgValue::Null, _) => PgValue::Null,
            (PgValue::Bool(b), SqlType::Bool) => PgValue::Bool(b),
            (PgValue::Bool(b), SqlType::Int4) => PgValue::Int4(i32::from(b)),
            (PgValue::Int4(i), SqlType::Bool) => PgValue::Bool(i != 0),
            (PgValue::Bool(_), _) | (_, SqlType::Bool) => {
                unreachable!("checked at load: no such cast")
            }
            (v @ PgValue::Int4(_), SqlType::Int4) => v,
            (PgValue::Int4(i), SqlType::Int8) => PgValue::Int8(i64::from(i)),
            (PgValue::Int8(i), SqlType::Int4) => {
                PgValue::Int4(i32::try_from(i).map_err(|_| int4_range())?)
            }
            (v @ PgValue::Int8(_), SqlType::Int8) => v,
            (v, SqlType::Numeric) => PgValue::Numeric(v.numeric()),
            (PgValue::Numeric(n), SqlType::Int4) => {
                PgValue::Int4(n.round().to_i32().ok_or_else(int4_range)?)
            }
            (PgValue::Numeric(n), SqlType::Int8) => {
                PgValue::Int8(n.round().to_i64().ok_or_else(int8_range)?)
            }
        })
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, PgValue::Null)
    }

    /// PostgreSQL's comparison of two non-NULL values of one kind (numbers of any types).
    fn compare(&self, other: &PgValue) -> Ordering {
        match (self, other) {
            (PgValue::Bool(a), PgValue::Bool(b)) => a.cmp(b),
            (PgValue::Int4(a), PgValue::Int4(b)) => a.cmp(b),
            (a, b) => match (a, b) {
                (PgValue::Int4(_) | PgValue::Int8(_), PgValue::Int4(_) | PgValue::Int8(_)) => {
                    a.int8().cmp(&b.int8())
                }
                _ => a.numeric().cmp(&b.numeric()),
            },
        }
    }

    fn int8(&self) -> i64 {
        match self {
            PgValue::Int4(i) => i64::from(*i),
            PgValue::Int8(i) => *i,
            _ => unreachable!("an integer"),
        }
    }

    /// A source field's value as PostgreSQL holds it in graph-node's column.
    pub(crate) fn from_value(value: &Value) -> Result<PgValue> {
        Ok(match value {
            Value::Null => PgValue::Null,
            Value::Int(i) => PgValue::Int4(*i),
            Value::Int8(i) => PgValue::Int8(*i),
            Value::BigInt(i) => PgValue::Numeric(Numeric::int(i.inner().clone())),
            Value::BigDecimal(d) => PgValue::Numeric(Numeric::from_big_decimal(d)),
            Value::Bool(b) => PgValue::Bool(*b),
            other => bail!("a {} value where a number was expected", other.type_name()),
        })
    }

    /// The value stored into a field of type `field`, as PostgreSQL's assignment cast into
    /// graph-node's column would: numbers round half away from zero into `Int` and `Int8`
    /// (out of range is an error); `BigInt` columns are `numeric` in graph-node and would keep
    /// a fraction, which a `BigInt` cannot hold, so Sprig rounds it the same way;
    /// `BigDecimal` takes the exact value normalized to 34 digits, as graph-node reads it.
    pub(crate) fn into_value(self, field: ScalarType) -> Result<Value> {
        if self.is_null() {
            return Ok(Value::Null);
        }
        Ok(match field {
            ScalarType::Int => match self.cast(SqlType::Int4)? {
                PgValue::Int4(i) => Value::Int(i),
                _ => unreachable!("cast to int4"),
            },
            ScalarType::Int8 => match self.cast(SqlType::Int8)? {
                PgValue::Int8(i) => Value::Int8(i),
                _ => unreachable!("cast to int8"),
            },
            ScalarType::BigInt => {
                Value::BigInt(sprig_value::BigInt::from(self.numeric().round()).check_size()?)
            }
            ScalarType::BigDecimal => Value::BigDecimal(self.numeric().to_big_decimal()?),
            other => bail!("an expression cannot be stored in a {other:?} field"),
        })
    }

    /// `self + other` for aggregates (`sum`): exact, in numeric; the result is converted to
    /// the field's type once, at the end, as PostgreSQL's `sum` into the column does.
    pub(crate) fn sum(&self, other: &PgValue) -> PgValue {
        PgValue::Numeric(self.numeric().add(&other.numeric()))
    }

    /// The smaller or larger of two aggregated values (`min`/`max`), ties to the later one as
    /// PostgreSQL's `numeric_smaller`/`numeric_larger`.
    pub(crate) fn min_max(self, other: PgValue, max: bool) -> PgValue {
        let ord = self.compare(&other);
        let keep_self = if max {
            ord == Ordering::Greater
        } else {
            ord == Ordering::Less
        };
        if keep_self {
            self
        } else {
            other
        }
    }
}

/// What PostgreSQL's planner (`eval_const_expressions`) makes constant in one expression
/// before reading any row, node by node: the value, or the error raised while folding it.
/// PostgreSQL folds an operator, cast or function whose arguments are all constants, a strict
/// one (arithmetic, comparisons, casts, math functions) with a NULL constant argument to NULL
/// without evaluating it, `AND`/`OR` decided by a constant, `COALESCE` from its first constant
/// that is not NULL, `NULLIF` with a NULL argument to its first argument, and a `CASE` whose
/// arms are all dropped (constant false or NULL conditions) or that starts with a constant true
/// one to the chosen result.
pub(crate) struct Folds(HashMap<usize, Result<PgValue, String>>);

/// A node's identity in [`Folds`]: its address, stable while the expression is borrowed.
fn key(expr: &Expr) -> usize {
    expr as *const Expr as usize
}

impl Folds {
    /// The folds of `expr` and all its subexpressions.
    pub(crate) fn new(expr: &Expr) -> Folds {
        let mut folds = Folds(HashMap::new());
        folds.fold(expr);
        folds
    }

    fn get(&self, expr: &Expr) -> Option<Result<PgValue>> {
        self.0
            .get(&key(expr))
            .map(|r| r.clone().map_err(|e| anyhow!(e)))
    }

    /// Whether `expr` folds, ignoring its value.
    fn constant(&self, expr: &Expr) -> bool {
        self.0.contains_key(&key(expr))
    }

    fn value(&self, expr: &Expr) -> Option<PgValue> {
        self.0
            .get(&key(expr))
            .and_then(|r| r.as_ref().ok().cloned())
    }

    /// Folds the children of `expr` (all of them: which ones PostgreSQL simplifies only matters
    /// for raising errors, see `check_constants`), then `expr` itself.
    fn fold(&mut self, expr: &Expr) {
        let children: Vec<&Expr> = match expr {
            Expr::Field { .. } | Expr::Number { .. } | Expr::Bool(_) | Expr::Null => vec![],
            Expr::Neg(e) | Expr::Not(e) | Expr::Is { expr: e, .. } | Expr::Cast { expr: e, .. } => {
                vec![e]
            }
            Expr::Binary { left, right, .. } | Expr::DistinctFrom { left, right, .. } => {
                vec![left, right]
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
                ..
            } => operand
                .iter()
                .map(|e| &**e)
                .chain(whens.iter().flat_map(|(c, r)| [c, r]))
                .chain(otherwise.iter().map(|e| &**e))
                .collect(),
            Expr::Call { args, .. } => args.iter().collect(),
        };
        for child in &children {
            self.fold(child);
        }
        if let Some(value) = self.fold_node(expr, &children) {
            self.0.insert(key(expr), value.map_err(|e| e.to_string()));
        }
    }

    /// The node's constant, given its children's.
    fn fold_node(&self, expr: &Expr, children: &[&Expr]) -> Option<Result<PgValue>> {
        let all_constant = || children.iter().all(|c| self.constant(c));
        let evaluate = || {
            Evaluator {
                row: &Entity::new(),
                folds: self,
            }
            .eval_node(expr)
        };
        let first_error = || {
            children
                .iter()
                .find_map(|c| self.get(c).filter(Result::is_err))
        };
        let strict = || {
            if let Some(e) = first_error() {
                return Some(e);
            }
            if children
                .iter()
                .any(|c| self.value(c) == Some(PgValue::Null))
            {
                return Some(Ok(PgValue::Null));
            }
            all_constant().then(evaluate)
        };
        let plain = || {
            if let Some(e) = first_error() {
                return Some(e);
            }
            all_constant().then(evaluate)
        };
        match expr {
            Expr::Field { .. } => None,
            Expr::Number { .. } | Expr::Bool(_) | Expr::Null => Some(evaluate()),
            Expr::Neg(_) | Expr::Not(_) | Expr::Cast { .. } => strict(),
            Expr::Is { .. } | Expr::DistinctFrom { .. } => plain(),
            Expr::Binary { op, .. } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
                let decisive = PgValue::Bool(*op == BinaryOp::Or);
                let (mut null, mut variable) = (false, false);
                for child in children {
                    match self.get(child) {
                        Some(Err(e)) => return Some(Err(e)),
                        Some(Ok(v)) if v == decisive => return Some(Ok(decisive)),
                        Some(Ok(PgValue::Null)) => null = true,
                        Some(Ok(_)) => {}
                        None => variable = true,
                    }
                }
                if variable {
                    return None;
                }
                Some(Ok(if null {
                    PgValue::Null
                } else {
                    PgValue::Bool(*op == BinaryOp::And)
                }))
            }
            Expr::Binary { .. } => strict(),
            Expr::Case {
                operand,
                whens,
                otherwise,
                sql_type,
            } => {
                if let Some(Err(e)) = operand.as_deref().and_then(|o| self.get(o)) {
                    return Some(Err(e));
                }
                let (arms, default) =
                    self.case_arms(operand.as_deref(), whens, otherwise.as_deref());
                if !arms.is_empty() {
                    return None;
                }
                match default {
                    None => Some(Ok(PgValue::Null)),
                    Some(d) => self.get(d).map(|r| r.and_then(|v| v.cast(*sql_type))),
                }
            }
            Expr::Call {
                func,
                args,
                sql_type,
            } => match func {
                Function::Coalesce => {
                    for arg in args {
                        match self.get(arg) {
                            Some(Err(e)) => return Some(Err(e)),
                            Some(Ok(PgValue::Null)) => {}
                            Some(Ok(v)) => return Some(v.cast(*sql_type)),
                            None => return None,
                        }
                    }
                    Some(Ok(PgValue::Null))
                }
                Function::Nullif => {
                    if let Some(e) = first_error() {
                        return Some(e);
                    }
                    if children
                        .iter()
                        .any(|c| self.value(c) == Some(PgValue::Null))
                    {
                        // Cannot be equal: the first argument, as it is.
                        return self
                            .get(&args[0])
                            .map(|r| r.and_then(|v| v.cast(*sql_type)));
                    }
                    all_constant().then(evaluate)
                }
                Function::Greatest | Function::Least => plain(),
                _ => strict(),
            },
        }
    }

    /// The arms of a `CASE` that PostgreSQL keeps, and the default: an arm whose condition (or
    /// `WHEN` value compared with a constant operand) folds to false or NULL is dropped; one
    /// that folds to true makes its result the default and drops the arms after it. With no
    /// arm left the operand is never evaluated.
    fn case_arms<'e>(
        &self,
        operand: Option<&Expr>,
        whens: &'e [(Expr, Expr)],
        otherwise: Option<&'e Expr>,
    ) -> (Vec<&'e (Expr, Expr)>, Option<&'e Expr>) {
        let mut arms = Vec::new();
        for arm in whens {
            let condition = self.value(&arm.0);
            let known = match (operand, condition) {
                (_, Some(PgValue::Null)) => Some(false),
                (None, Some(c)) => Some(c == PgValue::Bool(true)),
                (Some(o), Some(c)) => self
                    .value(o)
                    .map(|o| !o.is_null() && o.compare(&c) == Ordering::Equal),
                (_, None) => None,
            };
            match known {
                Some(false) => continue,
                Some(true) => return (arms, Some(&arm.1)),
                None => arms.push(arm),
            }
        }
        (arms, otherwise)
    }
}

/// Raises the error PostgreSQL raises while planning graph-node's query when folding a
/// constant part of `expr` fails (`1/0` in an arm no row takes fails the query all the same),
/// walking the parts PostgreSQL simplifies: not the arms of a `CASE` that are dropped or
/// follow a constant true condition (nor the default then), nor the arguments of `COALESCE`
/// after its first constant that is not NULL, nor those of `AND`/`OR` after a deciding
/// constant.
pub(crate) fn check_constants(expr: &Expr, folds: &Folds) -> Result<()> {
    let check = |e: &Expr| check_constants(e, folds);
    match expr {
        Expr::Field { .. } | Expr::Number { .. } | Expr::Bool(_) | Expr::Null => {}
        Expr::Neg(e) | Expr::Not(e) | Expr::Is { expr: e, .. } | Expr::Cast { expr: e, .. } => {
            check(e)?
        }
        Expr::DistinctFrom { left, right, .. } => {
            check(left)?;
            check(right)?;
        }
        Expr::Binary { op, left, right } => {
            check(left)?;
            let decisive = PgValue::Bool(*op == BinaryOp::Or);
            let stops =
                matches!(op, BinaryOp::And | BinaryOp::Or) && folds.value(left) == Some(decisive);
            if !stops {
                check(right)?;
            }
        }
        Expr::Case {
            operand,
            whens,
            otherwise,
            ..
        } => {
            if let Some(operand) = operand {
                check(operand)?;
            }
            let mut stopped = false;
            for arm in whens {
                check(&arm.0)?;
                let (kept, default) =
                    folds.case_arms(operand.as_deref(), std::slice::from_ref(arm), None);
                if !kept.is_empty() {
                    check(&arm.1)?;
                } else if let Some(result) = default {
                    check(result)?;
                    stopped = true;
                    break;
                }
            }
            if let (false, Some(e)) = (stopped, otherwise) {
                check(e)?;
            }
        }
        Expr::Call { func, args, .. } => {
            for arg in args {
                check(arg)?;
                if *func == Function::Coalesce && folds.value(arg).is_some_and(|v| !v.is_null()) {
                    break;
                }
            }
        }
    }
    match folds.get(expr) {
        Some(Err(e)) => Err(e),
        _ => Ok(()),
    }
}

/// Evaluates `expr` on one source row; `folds` are `Folds::new(expr)`, and
/// `check_constants` has passed.
pub(crate) fn eval(expr: &Expr, row: &Entity, folds: &Folds) -> Result<PgValue> {
    Evaluator { row, folds }.eval(expr)
}

/// One row's evaluation.
struct Evaluator<'a> {
    row: &'a Entity,
    folds: &'a Folds,
}

impl Evaluator<'_> {
    fn eval(&self, expr: &Expr) -> Result<PgValue> {
        match self.folds.get(expr) {
            Some(folded) => folded,
            None => self.eval_node(expr),
        }
    }

    fn eval_node(&self, expr: &Expr) -> Result<PgValue> {
        let row = self.row;
        Ok(match expr {
            Expr::Field { name, sql_type } => match row.get(name) {
                None => PgValue::Null,
                Some(v) => PgValue::from_value(v)?.cast(*sql_type)?,
            },
            Expr::Number { text, sql_type } => {
                PgValue::Numeric(Numeric::parse(text)?).cast(*sql_type)?
            }
            Expr::Bool(b) => PgValue::Bool(*b),
            Expr::Null => PgValue::Null,
            Expr::Neg(e) => match self.eval(e)? {
                PgValue::Null => PgValue::Null,
                PgValue::Int4(i) => PgValue::Int4(i.checked_neg().ok_or_else(int4_range)?),
                PgValue::Int8(i) => PgValue::Int8(i.checked_neg().ok_or_else(int8_range)?),
                PgValue::Numeric(n) => PgValue::Numeric(n.neg()),
                PgValue::Bool(_) => unreachable!("checked at load: a number"),
            },
            Expr::Not(e) => match self.eval(e)? {
                PgValue::Bool(b) => PgValue::Bool(!b),
                _ => PgValue::Null,
            },
            Expr::Binary { op, left, right } => self.binary(*op, left, right)?,
            Expr::Is {
                expr,
                test,
                negated,
            } => {
                let v = self.eval(expr)?;
                let is = match test {
                    IsTest::Null => v.is_null(),
                    IsTest::True => v == PgValue::Bool(true),
                    IsTest::False => v == PgValue::Bool(false),
                };
                PgValue::Bool(is != *negated)
            }
            Expr::DistinctFrom {
                left,
                right,
                negated,
            } => {
                let (l, r) = (self.eval(left)?, self.eval(right)?);
                let distinct = match (l.is_null(), r.is_null()) {
                    (true, true) => false,
                    (true, false) | (false, true) => true,
                    (false, false) => l.compare(&r) != Ordering::Equal,
                };
                PgValue::Bool(distinct != *negated)
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
                sql_type,
            } => {
                let (arms, otherwise) =
                    self.folds
                        .case_arms(operand.as_deref(), whens, otherwise.as_deref());
                let operand = match operand {
                    Some(e) if !arms.is_empty() => Some(self.eval(e)?),
                    _ => None,
                };
                let mut result = None;
                for (condition, value) in arms {
                    let c = self.eval(condition)?;
                    let hit = match &operand {
                        Some(o) => !o.is_null() && !c.is_null() && o.compare(&c) == Ordering::Equal,
                        None => c == PgValue::Bool(true),
                    };
                    if hit {
                        result = Some(self.eval(value)?);
                        break;
                    }
                }
                let result = match (result, otherwise) {
                    (Some(r), _) => r,
                    (None, Some(e)) => self.eval(e)?,
                    (None, None) => PgValue::Null,
                };
                result.cast(*sql_type)?
            }
            Expr::Cast { expr, to } => self.eval(expr)?.cast(*to)?,
            Expr::Call {
                func,
                args,
                sql_type,
            } => self.call(*func, args, *sql_type)?,
        })
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<PgValue> {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            // Three-valued logic; the right side is skipped when the left decides.
            let l = self.eval(left)?;
            let decisive = PgValue::Bool(op == BinaryOp::Or);
            if l == decisive {
                return Ok(decisive);
            }
            let r = self.eval(right)?;
            return Ok(if r == decisive {
                decisive
            } else if l.is_null() || r.is_null() {
                PgValue::Null
            } else {
                PgValue::Bool(op == BinaryOp::And)
            });
        }
        let (l, r) = (self.eval(left)?, self.eval(right)?);
        if l.is_null() || r.is_null() {
            return Ok(PgValue::Null);
        }
        let ord = || l.compare(&r);
        Ok(match op {
            BinaryOp::Eq => PgValue::Bool(ord() == Ordering::Equal),
            BinaryOp::NotEq => PgValue::Bool(ord() != Ordering::Equal),
            BinaryOp::Lt => PgValue::Bool(ord() == Ordering::Less),
            BinaryOp::LtEq => PgValue::Bool(ord() != Ordering::Greater),
            BinaryOp::Gt => PgValue::Bool(ord() == Ordering::Greater),
            BinaryOp::GtEq => PgValue::Bool(ord() != Ordering::Less),
            BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                let t = left
                    .sql_type()
                    .max(right.sql_type())
                    .expect("checked at load: typed");
                arithmetic(op, l.cast(t)?, r.cast(t)?)?
            }
        })
    }
}

/// Arithmetic on two non-NULL values of one type.
fn arithmetic(op: BinaryOp, l: PgValue, r: PgValue) -> Result<PgValue> {
    macro_rules! int {
        ($a:expr, $b:expr, $variant:ident, $range:ident) => {{
            let (a, b) = ($a, $b);
            let v = match op {
                BinaryOp::Add => a.checked_add(b).ok_or_else($range)?,
                BinaryOp::Sub => a.checked_sub(b).ok_or_else($range)?,
                BinaryOp::Mul => a.checked_mul(b).ok_or_else($range)?,
                BinaryOp::Div => {
                    if b == 0 {
                        bail!("division by zero");
                    }
                    a.checked_div(b).ok_or_else($range)?
                }
                BinaryOp::Mod => {
                    if b == 0 {
                        bail!("division by zero");
                    }
                    // PostgreSQL special-cases MIN % -1, which overflows in Rust.
                    a.checked_rem(b).unwrap_or(0)
                }
                _ => unreachable!("arithmetic"),
            };
            PgValue::$variant(v)
        }};
    }
    Ok(match (l, r) {
        (PgValue::Int4(a), PgValue::Int4(b)) => int!(a, b, Int4, int4_range),
        (PgValue::Int8(a), PgValue::Int8(b)) => int!(a, b, Int8, int8_range),
        (PgValue::Numeric(a), PgValue::Numeric(b)) => PgValue::Numeric(match op {
            BinaryOp::Add => a.add(&b),
            BinaryOp::Sub => a.add(&b.neg()),
            BinaryOp::Mul => a.mul(&b),
            BinaryOp::Div => a.div(&b)?,
            BinaryOp::Mod => a.modulo(&b)?,
            _ => unreachable!("arithmetic"),
        }),
        (l, r) => unreachable!("operands promoted to one type: {l:?}, {r:?}"),
    })
}

impl Evaluator<'_> {
    fn call(&self, func: Function, args: &[Expr], sql_type: SqlType) -> Result<PgValue> {
        match func {
            Function::Coalesce => {
                for arg in args {
                    let v = self.eval(arg)?;
                    if !v.is_null() {
                        return v.cast(sql_type);
                    }
                }
                return Ok(PgValue::Null);
            }
            Function::Greatest | Function::Least => {
                let mut best: Option<PgValue> = None;
                for arg in args {
                    let v = self.eval(arg)?.cast(sql_type)?;
                    if v.is_null() {
                        continue;
                    }
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            // The first of equal values stays (PostgreSQL's MinMax expression).
                            let ord = v.compare(&b);
                            let better = if func == Function::Greatest {
                                ord == Ordering::Greater
                            } else {
                                ord == Ordering::Less
                            };
                            if better {
                                v
                            } else {
                                b
                            }
                        }
                    });
                }
                return Ok(best.unwrap_or(PgValue::Null));
            }
            Function::Nullif => {
                let (a, b) = (self.eval(&args[0])?, self.eval(&args[1])?);
                if !a.is_null() && !b.is_null() && a.compare(&b) == Ordering::Equal {
                    return Ok(PgValue::Null);
                }
                return a.cast(sql_type);
            }
            _ => {}
        }
        let values = args
            .iter()
            .map(|a| self.eval(a))
            .collect::<Result<Vec<_>>>()?;
        if values.iter().any(PgValue::is_null) {
            return Ok(PgValue::Null);
        }
        let values = values
            .into_iter()
            .map(|v| v.cast(sql_type_of_args(func, sql_type)))
            .collect::<Result<Vec<_>>>()?;
        Ok(match func {
            Function::Abs => match &values[0] {
                PgValue::Int4(i) => PgValue::Int4(i.checked_abs().ok_or_else(int4_range)?),
                PgValue::Int8(i) => PgValue::Int8(i.checked_abs().ok_or_else(int8_range)?),
                v => PgValue::Numeric(v.numeric().abs()),
            },
            Function::Ceiling => PgValue::Numeric(values[0].numeric().ceil()),
            Function::Sign => PgValue::Numeric(values[0].numeric().sign()),
            Function::Div => PgValue::Numeric(values[0].numeric().div_trunc(&values[1].numeric())?),
            Function::Mod => arithmetic(BinaryOp::Mod, values[0].clone(), values[1].clone())?,
            Function::Gcd | Function::Lcm => {
                let (a, b) = (values[0].numeric(), values[1].numeric());
                let n = if func == Function::Gcd {
                    a.gcd(&b)
                } else {
                    a.lcm(&b)
                };
                // Integer results out of their type's range are errors (gcd(-2147483648, 0)).
                PgValue::Numeric(n).cast_exact(sql_type)?
            }
            Function::Coalesce | Function::Greatest | Function::Least | Function::Nullif => {
                unreachable!("handled above")
            }
        })
    }
}

/// The type a function's arguments are converted to before it runs.
fn sql_type_of_args(func: Function, result: SqlType) -> SqlType {
    match func {
        Function::Div | Function::Ceiling | Function::Sign => SqlType::Numeric,
        _ => result,
    }
}

impl PgValue {
    /// An integral numeric as `to` with a range check (no rounding needed).
    fn cast_exact(self, to: SqlType) -> Result<PgValue> {
        match (self, to) {
            (PgValue::Numeric(n), SqlType::Int4) => {
                Ok(PgValue::Int4(n.digits.to_i32().ok_or_else(int4_range)?))
            }
            (PgValue::Numeric(n), SqlType::Int8) => {
                Ok(PgValue::Int8(n.digits.to_i64().ok_or_else(int8_range)?))
            }
            (v, _) => Ok(v),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Sprig's evaluator against PostgreSQL itself: every expression is run as `SELECT` on a
    //! real server over a table holding each test row, and the results compared as text.

    use super::*;
    use crate::sql::test_rng::Rng;
    use crate::testing::Postgres;
    use sprig_manifest::{sqlexpr, AggregateFn};
    use std::sync::Arc;

    /// The test table's columns, typed as graph-node stores `Int`, `Int8`, `BigInt` and
    /// `BigDecimal` fields.
    fn field_type(name: &str) -> Result<SqlType, String> {
        match name {
            "a" => Ok(SqlType::Int4),
            "b" => Ok(SqlType::Int8),
            "k" | "n" | "m" => Ok(SqlType::Numeric),
            _ => Err(format!("no column {name}")),
        }
    }

    /// Rows of edge values: (a, b, k, n, m); `None` is NULL.
    const ROWS: &[[Option<&str>; 5]] = &[
        [Some("7"), Some("3"), Some("10"), Some("1.5"), Some("-2.25")],
        [Some("0"), Some("0"), Some("0"), Some("0"), Some("0.001")],
        [Some("-1"), Some("-5"), Some("-7"), Some("0.001"), Some("3")],
        [
            Some("2147483647"),
            Some("9223372036854775807"),
            Some("1000000000000000000000000000000"),
            Some("123456789.123456789"),
            Some("0.5"),
        ],
        [
            Some("-2147483648"),
            Some("-9223372036854775808"),
            Some("-99999999999999999999"),
            Some("-0.00000000000000000001"),
            Some("2"),
        ],
        [
            Some("-13"),
            Some("1000000000000"),
            Some("3"),
            Some("3.14159"),
            Some("-0.5"),
        ],
        [None, Some("2"), None, Some("-1"), None],
        [Some("2"), None, Some("5"), None, Some("7.25")],
        [
            Some("46341"),
            Some("3037000500"),
            Some("12"),
            Some("0.3333333333333333333333333333333333"),
            Some("100000"),
        ],
        [
            Some("-7"),
            Some("-2"),
            Some("-3"),
            Some("2.5"),
            Some("-1.5"),
        ],
        [
            Some("100000"),
            Some("-123456789012"),
            Some("-10000000000000000000000000000000000000000"),
            Some("0.000000000000000000000000000001"),
            Some("1234567890123456789012345678901.234"),
        ],
    ];

    fn entity(row: &[Option<&str>; 5]) -> Entity {
        let mut e = Entity::new();
        for ((name, v), kind) in ["a", "b", "k", "n", "m"].iter().zip(row).zip(0..) {
            let Some(v) = v else { continue };
            let value = match kind {
                0 => Value::Int(v.parse().unwrap()),
                1 => Value::Int8(v.parse().unwrap()),
                2 => Value::BigInt(v.parse::<BigInt>().unwrap().into()),
                _ => Value::BigDecimal(v.parse().unwrap()),
            };
            e.insert(name.to_string(), value);
        }
        e
    }

    /// What Sprig makes of `sql` on `row`: `Ok(text)` (empty for NULL) or `Err` for an error.
    fn sprig(expr: &Expr, row: &Entity) -> Result<String, String> {
        let folds = Folds::new(expr);
        check_constants(expr, &folds)
            .and_then(|()| eval(expr, row, &folds))
            .map(|v| v.to_string())
            .map_err(|e| e.to_string())
    }

    /// Random expressions in the SQL graph-node accepts, mostly reading columns; the constant
    /// parts check the planner's folding (`check_constants`).
    struct Gen {
        rng: Rng,
    }

    impl Gen {
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.rng.below(items.len() as u64) as usize]
        }

        fn literal(&mut self) -> String {
            match self.rng.below(10) {
                0 => self.pick(&["0", "1", "2", "-1", "10"]).into(),
                1 => self
                    .pick(&[
                        "2147483647",
                        "2147483648",
                        "-2147483648",
                        "9223372036854775807",
                        "9223372036854775808",
                        "100000000000",
                    ])
                    .into(),
                2 => self
                    .pick(&[
                        "0.5",
                        "1.0",
                        "-2.50",
                        "0.001",
                        "3.14159265358979",
                        "1e3",
                        "1.5e-3",
                        "2.5E2",
                        ".5",
                        "7.",
                    ])
                    .into(),
                3 => "null".into(),
                _ => (self.rng.below(200) as i64 - 100).to_string(),
            }
        }

        fn column(&mut self) -> String {
            self.pick(&["a", "b", "k", "n", "m"]).into()
        }

        /// A number expression and whether it reads a column.
        fn number(&mut self, depth: u32) -> (String, bool) {
            if depth == 0 || self.rng.below(4) == 0 {
                return if self.rng.below(3) == 0 {
                    (self.literal(), false)
                } else {
                    (self.column(), true)
                };
            }
            let d = depth - 1;
            let col = |g: &mut Gen| g.number_col(d);
            let s = match self.rng.below(14) {
                0..=4 => {
                    let op = self.pick(&["+", "-", "*", "/", "%"]);
                    let (l, lc) = self.number(d);
                    let r = if lc { self.number(d).0 } else { col(self) };
                    format!("({l} {op} {r})")
                }
                5 => format!("-({})", col(self)),
                6 => {
                    let f = self.pick(&["abs", "ceiling", "sign", "ceil"]);
                    let arg = col(self);
                    if f != "abs" && self.rng.below(3) != 0 {
                        format!("{f}(({arg})::numeric)")
                    } else {
                        format!("{f}({arg})")
                    }
                }
                7 => {
                    let f = self.pick(&["div", "mod", "gcd", "lcm", "nullif"]);
                    let (l, lc) = self.number(d);
                    let r = if lc { self.number(d).0 } else { col(self) };
                    format!("{f}({l}, {r})")
                }
                8 => {
                    let f = self.pick(&["greatest", "least", "coalesce"]);
                    let n = 1 + self.rng.below(3);
                    let mut args = vec![col(self)];
                    args.extend((0..n).map(|_| self.number(d).0));
                    format!("{f}({})", args.join(", "))
                }
                9 | 10 => {
                    let c = self.condition(d);
                    let t = self.number(d).0;
                    if self.rng.below(4) == 0 {
                        format!("case when {c} then {t} end")
                    } else {
                        let e = self.number(d).0;
                        format!("case when {c} then {t} else {e} end")
                    }
                }
                11 => {
                    let o = col(self);
                    let (w, t, e) = (self.literal(), self.number(d).0, self.number(d).0);
                    format!("case {o} when {w} then {t} else {e} end")
                }
                _ => {
                    let t = self.pick(&[
                        "numeric", "int", "int4", "integer", "int8", "bigint", "decimal",
                    ]);
                    if self.rng.below(2) == 0 {
                        format!("({})::{t}", col(self))
                    } else {
                        format!("cast({} as {t})", col(self))
                    }
                }
            };
            (s, true)
        }

        fn number_col(&mut self, depth: u32) -> String {
            if self.rng.below(4) == 0 {
                return self.number(depth).0;
            }
            loop {
                let (s, c) = self.number(depth);
                if c {
                    return s;
                }
            }
        }

        fn condition(&mut self, depth: u32) -> String {
            let d = depth.saturating_sub(1);
            match self.rng.below(7) {
                0..=2 => {
                    let op = self.pick(&["=", "!=", "<>", "<", "<=", ">", ">="]);
                    let l = self.number_col(d);
                    let r = self.number(d).0;
                    format!("{l} {op} {r}")
                }
                3 => {
                    let op = self.pick(&["and", "or"]);
                    format!("({} {op} {})", self.condition(d), self.condition(d))
                }
                4 => format!("not ({})", self.condition(d)),
                5 => {
                    let t = self.pick(&["is null", "is not null"]);
                    format!("{} {t}", self.number_col(d))
                }
                _ => {
                    let t = self.pick(&["is distinct from", "is not distinct from"]);
                    format!("{} {t} {}", self.number_col(d), self.number(d).0)
                }
            }
        }
    }

    #[test]
    fn stores_values_as_the_assignment_cast_would() {
        let num = |s: &str| PgValue::Numeric(Numeric::parse(s).unwrap());
        let int = |v: PgValue| v.into_value(ScalarType::Int);
        assert_eq!(int(num("2.5")).unwrap(), Value::Int(3));
        assert_eq!(int(num("-2.5")).unwrap(), Value::Int(-3));
        assert_eq!(int(num("2.49")).unwrap(), Value::Int(2));
        assert_eq!(
            int(num("2147483647.5")).unwrap_err().to_string(),
            "integer out of range"
        );
        assert_eq!(
            int(PgValue::Int8(1 << 40)).unwrap_err().to_string(),
            "integer out of range"
        );
        assert_eq!(
            num("-7.5").into_value(ScalarType::Int8).unwrap(),
            Value::Int8(-8)
        );
        assert_eq!(
            num("12345678901234567890.5")
                .into_value(ScalarType::BigInt)
                .unwrap(),
            Value::BigInt("12345678901234567891".parse::<BigInt>().unwrap().into())
        );
        assert_eq!(
            num("1.2345678901234567890123456789012345678")
                .into_value(ScalarType::BigDecimal)
                .unwrap(),
            Value::BigDecimal("1.234567890123456789012345678901235".parse().unwrap())
        );
        assert_eq!(
            PgValue::Int4(5).into_value(ScalarType::BigDecimal).unwrap(),
            Value::BigDecimal("5".parse().unwrap())
        );
        assert_eq!(
            PgValue::Null.into_value(ScalarType::Int).unwrap(),
            Value::Null
        );
        // Sums are exact and converted once: 0.4 + 0.4 is 0.8, stored as 1 in an Int.
        let sum = num("0.4").sum(&num("0.4"));
        assert_eq!(int(sum).unwrap(), Value::Int(1));
    }

    /// A database on the shared test server with table `t` holding `ROWS` (column `id` is
    /// the row's index), and the rows as Sprig reads them. Keep the server alive meanwhile.
    fn table() -> (Arc<Postgres>, postgres::Client, Vec<Entity>) {
        let server = Postgres::shared().unwrap();
        let url = server.create_database().unwrap();
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(
                "CREATE TABLE t (id int, a int4, b int8, k numeric, n numeric, m numeric)",
            )
            .unwrap();
        let rows: Vec<Entity> = ROWS.iter().map(entity).collect();
        for (id, row) in rows.iter().enumerate() {
            // The values as graph-node writes them: BigDecimals normalized.
            let text = |name: &str| match row.get(name) {
                Some(v) => format!("'{v}'"),
                None => "NULL".into(),
            };
            client
                .batch_execute(&format!(
                    "INSERT INTO t VALUES ({id}, {}, {}, {}, {}, {})",
                    text("a"),
                    text("b"),
                    text("k"),
                    text("n"),
                    text("m")
                ))
                .unwrap();
        }
        (server, client, rows)
    }

    /// Whole aggregates: graph-node's `sum`, `min`, `max` and first/last (PostgreSQL's
    /// `arg_min`/`arg_max` over the id, NULLs skipped) of an expression over the rows, stored
    /// into `int4`, `int8` and `numeric` columns, against Sprig's folding of the row values
    /// (`rollup::combine_sql`) and conversion to `Int`, `Int8` and `BigDecimal` fields.
    #[test]
    fn aggregates_agree_with_postgresql() {
        let (_server, mut client, rows) = table();
        client
            .batch_execute("CREATE TABLE out (i int4, j int8, d numeric)")
            .unwrap();
        let mut gen = Gen {
            rng: Rng::new(0xa66_5eed),
        };
        let exprs: Vec<String> = ["a", "b", "k", "n * m", "n / 3", "a * 0.5", "b / 7.0", "m"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..400).map(|_| {
                let depth = 1 + gen.rng.below(3) as u32;
                gen.number(depth).0
            }))
            .collect();
        let funcs = [
            (AggregateFn::Sum, "sum({e})"),
            (AggregateFn::Min, "min({e})"),
            (AggregateFn::Max, "max({e})"),
            (
                AggregateFn::First,
                "(array_agg({e} ORDER BY id) FILTER (WHERE ({e}) IS NOT NULL))[1]",
            ),
            (
                AggregateFn::Last,
                "(array_agg({e} ORDER BY id DESC) FILTER (WHERE ({e}) IS NOT NULL))[1]",
            ),
        ];
        let (mut compared, mut failures) = (0, Vec::new());
        for sql in &exprs {
            let Ok(expr) = sqlexpr::parse(sql, &field_type) else {
                continue;
            };
            // Only expressions no row fails on, as a failing rollup stores nothing.
            let Ok(values) = rows
                .iter()
                .map(|row| {
                    let folds = Folds::new(&expr);
                    check_constants(&expr, &folds).and_then(|()| eval(&expr, row, &folds))
                })
                .collect::<Result<Vec<_>>>()
            else {
                continue;
            };
            for (func, template) in funcs {
                let agg = template.replace("{e}", sql);
                let mut acc: Option<PgValue> = None;
                for v in values.iter().filter(|v| !v.is_null()) {
                    acc = Some(crate::sql::rollup::combine_sql(func, acc, v.clone()));
                }
                for (column, field) in [
                    ("i", ScalarType::Int),
                    ("j", ScalarType::Int8),
                    ("d", ScalarType::BigDecimal),
                ] {
                    client.batch_execute("DELETE FROM out").unwrap();
                    let pg = client
                        .batch_execute(&format!("INSERT INTO out ({column}) SELECT {agg} FROM t"))
                        .and_then(|()| {
                            client.query_one(&format!("SELECT {column}::text FROM out"), &[])
                        })
                        .map(|r| r.get::<_, Option<String>>(0))
                        .map_err(|e| e.as_db_error().map(|d| d.message().to_string()));
                    // What graph-node reads back: numbers as Sprig's values.
                    let pg = pg.map(|text| {
                        text.map(|t| match field {
                            ScalarType::BigDecimal => {
                                Value::BigDecimal(t.parse().unwrap()).to_string()
                            }
                            _ => t,
                        })
                    });
                    let ours = acc
                        .clone()
                        .unwrap_or(PgValue::Null)
                        .into_value(field)
                        .map(|v| (!v.is_null()).then(|| v.to_string()))
                        .map_err(|e| Some(e.to_string()));
                    compared += 1;
                    if pg != ours {
                        failures.push(format!(
                            "{agg} into {column}: PostgreSQL {pg:?}, Sprig {ours:?}"
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {compared} differ:\n{}",
            failures.len(),
            failures[..failures.len().min(30)].join("\n")
        );
        assert!(compared > 1000, "{compared} compared");
    }

    #[test]
    fn agrees_with_postgresql() {
        let (_server, mut client, rows) = table();

        let mut cases: Vec<String> = [
            // Fixed cases: the edges of each rule.
            "a + 1",
            "a * a",
            "b * b",
            "a * 2147483648",
            "-2147483648 + a",
            "a / 2",
            "a / 0",
            "a % 0",
            "b % -1",
            "a % -1",
            "-a",
            "abs(a)",
            "abs(b)",
            "a / -1",
            "b / -1",
            "n / 3",
            "k / 3",
            "1 / n",
            "n / m",
            "m / n",
            "k / 7.0",
            "a / 3.000",
            "n * m",
            "n + m",
            "n - m",
            "n % m",
            "div(n, m)",
            "div(k, 7)",
            "mod(a, b)",
            "mod(n, 0.3)",
            "gcd(a, b)",
            "lcm(a, b)",
            "gcd(n, m)",
            "lcm(n, m)",
            "gcd(k, 4)",
            "lcm(a, 0)",
            "ceiling(n)",
            "ceiling(m)",
            "sign(n)",
            "sign(m * 0)",
            "n::int",
            "m::int",
            "m::int8",
            "k::int4",
            "k::bigint",
            "n::numeric",
            "a::numeric / 7",
            "(a + 0.5)::int",
            "(-2.5)::int + a",
            "(a - 0.5)::integer",
            "greatest(a, b, 0)",
            "least(n, m, a)",
            "greatest(2, 2.0, a * 0)",
            "coalesce(a, b, 0)",
            "coalesce(n, 1.50)",
            "nullif(a, 0)",
            "nullif(n, 1.5)",
            "case when a > b then a else 0 end",
            "case when n > m then n end",
            "case a when 7 then 1 when 0 then 2 else 3 end",
            "case when a is null then 0 else 1 end",
            "case when (a > 0 and b > 0) or n is null then 1 else 0 end",
            "case when not (a > 0) then 1 else 0 end",
            "case when a is distinct from b then 1 else 0 end",
            "case when (a > 0) is true then 1 else 0 end",
            "case when (a > 0) is not false then 1 else 0 end",
            "1e3 + n",
            "1.5e-3 * n",
            ".5 + a",
            "7. + a",
            "2147483648 + a",
            "9223372036854775808 + b",
            "0.1 + m",
            "n * 10000000000000000000000",
            "k * k",
            "1 / (k + 1)",
            "a / 7.0",
            "(a * 1.0) / 3",
            "n / 0.0003",
            "(n + 100000000) / 7",
            "m / 10000",
            "12345678901234567890 / (b * 0 + 7)",
            "123.456 / (a * 0 + 1000)",
            "gcd(a, a)",
            "gcd(a, 0)",
            "gcd(b, 0)",
            "lcm(a, a)",
            "lcm(a, 2)",
            "lcm(b, 3)",
            "lcm(k, n)",
            "mod(b, -1)",
            "div(a, 0)",
            "n % 0",
            "n / 0.0",
            "abs(-a)",
            // Literals and the planner's folding.
            "-(-2147483648) + a",
            "-(+2147483648) + a",
            "1.5E+2 + a",
            "-2147483648::int4 + a",
            "- 2147483648::int8 + a",
            "-a::int8 * 2147483647",
            "case when 1 / 0 > a then 1 else a end",
            "coalesce(a, 1 / 0)",
            "coalesce(2, 1 / 0, a)",
            "a + (null + 1 / 0)",
            "nullif(null / a, 1 / 0)",
            "case when false then 1 / 0 else a end",
            "case when a > 0 or true then a else 1 / 0 end",
            "case when a > 0 and false then 1 / 0 else a end",
            "case 1 when 2 then 1 / 0 else a end",
            "case a when null then 1 / 0 else a end",
            "greatest(a, 1 / 0)",
            "a * case when (null::int > 1) then b end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let fixed = cases.len();
        let mut gen = Gen {
            rng: Rng::new(0x5eed_0013),
        };
        for _ in 0..2500 {
            let depth = 1 + gen.rng.below(5) as u32;
            cases.push(gen.number(depth).0);
        }

        let (mut compared, mut refused, mut errors) = (0, 0, 0);
        let mut failures = Vec::new();
        for (i, sql) in cases.iter().enumerate() {
            let expr = match sqlexpr::parse(sql, &field_type) {
                Ok(e) => e,
                Err(e) => {
                    if i < fixed {
                        failures.push(format!("{sql} is refused: {e}"));
                    }
                    refused += 1;
                    continue;
                }
            };
            for (id, row) in rows.iter().enumerate() {
                let pg = client
                    .query_one(&format!("SELECT ({sql})::text FROM t WHERE id = {id}"), &[])
                    .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
                    .map_err(|e| {
                        e.as_db_error()
                            .map(|d| d.message().to_string())
                            .unwrap_or_else(|| e.to_string())
                    });
                let ours = sprig(&expr, row);
                compared += 1;
                if pg.is_err() {
                    errors += 1;
                }
                // Errors must agree on being errors; their texts are compared where Sprig
                // uses PostgreSQL's.
                let same = match (&pg, &ours) {
                    (Ok(a), Ok(b)) => a == b,
                    (Err(a), Err(b)) => a == b,
                    _ => false,
                };
                if !same {
                    failures.push(format!(
                        "{sql} on row {id}: PostgreSQL {pg:?}, Sprig {ours:?}"
                    ));
                }
            }
        }
        eprintln!("{compared} compared, {errors} errors, {refused} refused");
        assert!(
            failures.is_empty(),
            "{} of {compared} differ:\n{}",
            failures.len(),
            failures[..failures.len().min(40)].join("\n")
        );
        // The generator must exercise the evaluator, not only the refusals.
        assert!(
            compared > 3000 && errors > 50,
            "{compared} compared, {errors} errors, {refused} refused"
        );
    }
}
