//! SQL expressions in `@aggregate(arg: ...)`, as graph-node allows them (`priceUSD * amount`,
//! `greatest(amount0, amount1, 0)`, `case when a > b then a else 0 end`).
//!
//! graph-node parses the text with `sqlparser` (PostgreSQL dialect), checks it against a
//! whitelist of operators, constructs and functions, and hands the text to PostgreSQL with the
//! identifiers rewritten to source columns. Sprig parses it the same way, applies the same
//! whitelist with the same messages, and converts it into [`Expr`], which the store evaluates per
//! source row with PostgreSQL's semantics. PostgreSQL decides the type of every subexpression
//! before it runs anything, so conversion here does the same: each node knows its [`SqlType`],
//! and expressions PostgreSQL would reject when the rollup runs (`amount + true`, `sum` of a
//! boolean) are refused at load instead.

use sqlparser::ast as p;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// The PostgreSQL type of an expression's value. Fields map as graph-node stores them: `Int` is
/// `int4`, `Int8` is `int8`, `BigInt` and `BigDecimal` are `numeric`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SqlType {
    Bool,
    Int4,
    Int8,
    Numeric,
}

impl SqlType {
    /// The PostgreSQL name of the type.
    pub fn name(self) -> &'static str {
        match self {
            SqlType::Bool => "boolean",
            SqlType::Int4 => "integer",
            SqlType::Int8 => "bigint",
            SqlType::Numeric => "numeric",
        }
    }

    fn is_number(self) -> bool {
        self != SqlType::Bool
    }
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
}

/// A whitelisted function (`ceil` and `floor` are refused as graph-node refuses them: its
/// parser reads them as constructs of their own; `power` and `^` are refused by Sprig).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Abs,
    Ceiling,
    Div,
    Gcd,
    Lcm,
    Mod,
    Sign,
    Coalesce,
    Nullif,
    Greatest,
    Least,
}

/// What `IS [NOT] ...` tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsTest {
    Null,
    True,
    False,
}

/// A checked `@aggregate(arg:)` expression. Every node has a PostgreSQL type ([`Expr::sql_type`];
/// `None` only for an untyped `NULL` literal, which PostgreSQL types from its context).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A numeric field of the source timeseries.
    Field {
        name: String,
        sql_type: SqlType,
    },
    /// A number literal as written (`42`, `-7`, `0.5`, `1e-3`), typed as PostgreSQL types it:
    /// `int4` if it is an integer that fits, else `int8` if it fits, else `numeric`.
    Number {
        text: String,
        sql_type: SqlType,
    },
    Bool(bool),
    Null,
    /// Unary minus (`+x` is `x`).
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// A binary operator; arithmetic and comparisons promote both sides to the wider type
    /// (`int4` < `int8` < `numeric`).
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `expr IS [NOT] NULL|TRUE|FALSE`.
    Is {
        expr: Box<Expr>,
        test: IsTest,
        negated: bool,
    },
    /// `left IS [NOT] DISTINCT FROM right`.
    DistinctFrom {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`; the results have type `sql_type`.
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
        sql_type: SqlType,
    },
    /// `expr::type` / `CAST(expr AS type)`.
    Cast {
        expr: Box<Expr>,
        to: SqlType,
    },
    /// A function call; `sql_type` is its result type.
    Call {
        func: Function,
        args: Vec<Expr>,
        sql_type: SqlType,
    },
}

impl Expr {
    /// The expression's PostgreSQL type; `None` for an untyped `NULL`.
    pub fn sql_type(&self) -> Option<SqlType> {
        match self {
            Expr::Field { sql_type, .. }
            | Expr::Number { sql_type, .. }
            | Expr::Case { sql_type, .. }
            | Expr::Call { sql_type, .. } => Some(*sql_type),
            Expr::Bool(_) | Expr::Not(_) | Expr::Is { .. } | Expr::DistinctFrom { .. } => {
                Some(SqlType::Bool)
            }
            Expr::Null => None,
            Expr::Neg(e) => e.sql_type(),
            Expr::Cast { to, .. } => Some(*to),
            Expr::Binary { op, left, right } => match op {
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                    left.sql_type().max(right.sql_type())
                }
                _ => Some(SqlType::Bool),
            },
        }
    }

    /// The source fields the expression reads.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Field { name, .. } => {
                if !out.contains(&name.as_str()) {
                    out.push(name)
                }
            }
            Expr::Number { .. } | Expr::Bool(_) | Expr::Null => {}
            Expr::Neg(e) | Expr::Not(e) | Expr::Is { expr: e, .. } | Expr::Cast { expr: e, .. } => {
                e.collect_fields(out)
            }
            Expr::Binary { left, right, .. } | Expr::DistinctFrom { left, right, .. } => {
                left.collect_fields(out);
                right.collect_fields(out);
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
                ..
            } => {
                if let Some(e) = operand {
                    e.collect_fields(out);
                }
                for (c, r) in whens {
                    c.collect_fields(out);
                    r.collect_fields(out);
                }
                if let Some(e) = otherwise {
                    e.collect_fields(out);
                }
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.collect_fields(out)),
        }
    }
}

/// graph-node's function whitelist (PostgreSQL's deterministic math and conditional functions).
const FN_WHITELIST: [&str; 14] = [
    "abs", "ceil", "ceiling", "div", "floor", "gcd", "lcm", "mod", "power", "sign", "coalesce",
    "nullif", "greatest", "least",
];

/// Parses `sql` and converts it. `field_type` gives the type of a source field, or an error
/// message when the identifier may not be used (unknown, not numeric, wider than the aggregate).
/// Errors are graph-node's messages for what graph-node refuses, and say "not supported by
/// Sprig" for what graph-node accepts but Sprig does not evaluate.
pub fn parse(
    sql: &str,
    field_type: &dyn Fn(&str) -> Result<SqlType, String>,
) -> Result<Expr, String> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(sql)
        .map_err(|e| format!("Failed to parse expression: {e}"))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| format!("Failed to parse expression: {e}"))?;
    // graph-node parses one expression and ignores what follows (its SQL is printed from the
    // parsed expression, so `amount foo` aggregates `amount`); Sprig refuses such text.
    if parser.peek_token().token != sqlparser::tokenizer::Token::EOF {
        return Err(format!(
            "Failed to parse expression: unexpected `{}` after the expression",
            parser.peek_token().token
        ));
    }
    let expr = Converter { field_type }.expr(&expr)?;
    match expr.sql_type() {
        Some(t) if t.is_number() => Ok(expr),
        Some(t) => Err(format!(
            "the expression is of type {}, but an aggregate needs a number",
            t.name()
        )),
        None => Err("the expression is always NULL, which PostgreSQL cannot aggregate".into()),
    }
}

struct Converter<'a> {
    field_type: &'a dyn Fn(&str) -> Result<SqlType, String>,
}

/// graph-node's message for a construct outside its whitelist.
fn nope(construct: &str) -> String {
    format!("Expressions using {construct} are not supported")
}

/// The message for what graph-node accepts but Sprig does not evaluate.
fn sprig_nope(what: &str) -> String {
    format!("{what} is not supported by Sprig")
}

impl Converter<'_> {
    fn expr(&self, e: &p::Expr) -> Result<Expr, String> {
        use p::Expr as E;
        Ok(match e {
            E::Identifier(ident) => Expr::Field {
                sql_type: (self.field_type)(&ident.value)?,
                name: ident.value.clone(),
            },
            E::Nested(e) => self.expr(e)?,
            E::Value(v) => literal(&v.value)?,
            E::UnaryOp { op, expr } => match op {
                p::UnaryOperator::Plus => {
                    let inner = self.expr(expr)?;
                    self.number(&inner, "unary +")?;
                    match inner {
                        // No longer a bare number to fold a minus into (`-(+2147483648)` is
                        // an int8 negated); a cast to its own type changes nothing else.
                        Expr::Number { sql_type, .. } => Expr::Cast {
                            expr: Box::new(inner),
                            to: sql_type,
                        },
                        inner => inner,
                    }
                }
                p::UnaryOperator::Minus => {
                    // PostgreSQL's grammar folds a minus into the number it precedes, also
                    // through parentheses and other minuses, which can change its type
                    // (`-2147483648` is an int4, `-(-2147483648)` an int8).
                    let inner = self.expr(expr)?;
                    self.number(&inner, "unary -")?;
                    match inner {
                        Expr::Number { text, .. } => {
                            let text = match text.strip_prefix('-') {
                                Some(positive) => positive.to_string(),
                                None => format!("-{text}"),
                            };
                            number(text)
                        }
                        inner => Expr::Neg(Box::new(inner)),
                    }
                }
                p::UnaryOperator::Not => {
                    let inner = self.expr(expr)?;
                    self.boolean(&inner, "NOT")?;
                    Expr::Not(Box::new(inner))
                }
                op => return Err(format!("unary operator {op} is not supported")),
            },
            E::BinaryOp { left, op, right } => self.binary(left, op, right)?,
            E::IsNull(e) => self.is(e, IsTest::Null, false)?,
            E::IsNotNull(e) => self.is(e, IsTest::Null, true)?,
            E::IsTrue(e) => self.is(e, IsTest::True, false)?,
            E::IsNotTrue(e) => self.is(e, IsTest::True, true)?,
            E::IsFalse(e) => self.is(e, IsTest::False, false)?,
            E::IsNotFalse(e) => self.is(e, IsTest::False, true)?,
            E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => {
                let (left, right) = (self.expr(a)?, self.expr(b)?);
                self.comparable(&left, &right, "IS DISTINCT FROM")?;
                Expr::DistinctFrom {
                    left: Box::new(left),
                    right: Box::new(right),
                    negated: matches!(e, E::IsNotDistinctFrom(..)),
                }
            }
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let operand = operand.as_deref().map(|e| self.expr(e)).transpose()?;
                if operand.as_ref().is_some_and(|o| o.sql_type().is_none()) {
                    // PostgreSQL reads it as text, which no number equals.
                    return Err(sprig_nope("a CASE operand that is an untyped NULL"));
                }
                let mut whens = Vec::new();
                for when in conditions {
                    let condition = self.expr(&when.condition)?;
                    match &operand {
                        Some(operand) => self.comparable(operand, &condition, "CASE/WHEN")?,
                        None => self.boolean(&condition, "CASE/WHEN")?,
                    }
                    whens.push((condition, self.expr(&when.result)?));
                }
                let otherwise = else_result.as_deref().map(|e| self.expr(e)).transpose()?;
                let results: Vec<&Expr> = whens
                    .iter()
                    .map(|(_, r)| r)
                    .chain(otherwise.as_ref())
                    .collect();
                let sql_type = common_type(&results, "CASE")?;
                Expr::Case {
                    operand: operand.map(Box::new),
                    whens,
                    otherwise: otherwise.map(Box::new),
                    sql_type,
                }
            }
            E::Cast {
                kind,
                expr,
                data_type,
                ..
            } => match kind {
                p::CastKind::Cast | p::CastKind::DoubleColon => {
                    let inner = self.expr(expr)?;
                    let to = cast_type(data_type)?;
                    match (inner.sql_type(), to) {
                        (Some(SqlType::Bool), SqlType::Int8 | SqlType::Numeric) => {
                            return Err(format!(
                                "cannot cast type boolean to {} (PostgreSQL has no such cast)",
                                to.name()
                            ))
                        }
                        (Some(t), SqlType::Bool) if t != SqlType::Int4 && t != SqlType::Bool => {
                            return Err(format!(
                                "cannot cast type {} to boolean (PostgreSQL has no such cast)",
                                t.name()
                            ))
                        }
                        _ => {}
                    }
                    Expr::Cast {
                        expr: Box::new(inner),
                        to,
                    }
                }
                p::CastKind::TryCast | p::CastKind::SafeCast => {
                    return Err(nope(&format!("non-standard cast '{kind:?}'")))
                }
            },
            E::Function(f) => self.function(f)?,
            other => {
                // graph-node names the construct by its variant in sqlparser's syntax tree.
                let debug = format!("{other:?}");
                let name = debug
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("this construct");
                return Err(nope(name));
            }
        })
    }

    fn is(&self, e: &p::Expr, test: IsTest, negated: bool) -> Result<Expr, String> {
        let inner = self.expr(e)?;
        if test != IsTest::Null {
            self.boolean(&inner, "IS TRUE/FALSE")?;
        }
        Ok(Expr::Is {
            expr: Box::new(inner),
            test,
            negated,
        })
    }

    fn number(&self, e: &Expr, what: &str) -> Result<(), String> {
        match e.sql_type() {
            Some(t) if t.is_number() => Ok(()),
            Some(t) => Err(format!(
                "the argument of {what} must be a number, not {}",
                t.name()
            )),
            None => Err(sprig_nope(&format!("{what} of an untyped NULL"))),
        }
    }

    fn boolean(&self, e: &Expr, what: &str) -> Result<(), String> {
        match e.sql_type() {
            Some(SqlType::Bool) | None => Ok(()),
            Some(t) => Err(format!(
                "argument of {what} must be type boolean, not type {}",
                t.name()
            )),
        }
    }

    /// Both sides numbers, or both booleans (one may be an untyped NULL).
    fn comparable(&self, a: &Expr, b: &Expr, what: &str) -> Result<(), String> {
        match (a.sql_type(), b.sql_type()) {
            (Some(x), Some(y)) if x.is_number() != y.is_number() => Err(format!(
                "{what} cannot compare {} with {}",
                x.name(),
                y.name()
            )),
            (None, None) => Err(sprig_nope(&format!("{what} of two untyped NULLs"))),
            _ => Ok(()),
        }
    }

    fn binary(
        &self,
        left: &p::Expr,
        op: &p::BinaryOperator,
        right: &p::Expr,
    ) -> Result<Expr, String> {
        use p::BinaryOperator as B;
        let op = match op {
            B::Plus => BinaryOp::Add,
            B::Minus => BinaryOp::Sub,
            B::Multiply => BinaryOp::Mul,
            B::Divide => BinaryOp::Div,
            B::Modulo => BinaryOp::Mod,
            B::Eq => BinaryOp::Eq,
            B::NotEq => BinaryOp::NotEq,
            B::Lt => BinaryOp::Lt,
            B::LtEq => BinaryOp::LtEq,
            B::Gt => BinaryOp::Gt,
            B::GtEq => BinaryOp::GtEq,
            B::And => BinaryOp::And,
            B::Or => BinaryOp::Or,
            B::PGExp => {
                return Err(sprig_nope(
                    "`^` (PostgreSQL computes it in floating point or with its own numeric \
                     algorithm)",
                ))
            }
            B::Spaceship => {
                return Err(sprig_nope(
                    "the operator `<=>` (PostgreSQL has no such operator)",
                ))
            }
            op => return Err(format!("binary operator {op} is not supported")),
        };
        let (left, right) = (self.expr(left)?, self.expr(right)?);
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let what = if op == BinaryOp::And { "AND" } else { "OR" };
                self.boolean(&left, what)?;
                self.boolean(&right, what)?;
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                for side in [&left, &right] {
                    if side.sql_type() == Some(SqlType::Bool) {
                        return Err(format!(
                            "arithmetic on a boolean: PostgreSQL has no operator {op:?} for boolean"
                        ));
                    }
                }
                if left.sql_type().is_none() && right.sql_type().is_none() {
                    return Err(sprig_nope("arithmetic on two untyped NULLs"));
                }
            }
            _ => self.comparable(&left, &right, "a comparison")?,
        }
        Ok(Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn function(&self, f: &p::Function) -> Result<Expr, String> {
        let name = &f.name;
        let illegal = |msg: String| format!("Illegal function: {msg}");
        if f.filter.is_some()
            || f.null_treatment.is_some()
            || f.over.is_some()
            || !f.within_group.is_empty()
            || f.uses_odbc_syntax
            || !matches!(f.parameters, p::FunctionArguments::None)
        {
            return Err(illegal(format!("call to {name} uses an illegal feature")));
        }
        let [part] = f.name.0.as_slice() else {
            return Err(illegal(format!(
                "function name {name} uses a qualified name with '.'"
            )));
        };
        let ident = match part {
            p::ObjectNamePart::Identifier(ident) => ident,
            p::ObjectNamePart::Function(p::ObjectNamePartFunction { name, .. }) => {
                return Err(format!("function {name} is an object naming function"))
            }
        };
        let whitelisted = match ident.quote_style {
            Some(_) => FN_WHITELIST.contains(&ident.value.as_str()),
            None => FN_WHITELIST
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&ident.value)),
        };
        if !whitelisted {
            return Err(format!("Function {ident} is not supported"));
        }
        let mut args = Vec::new();
        match &f.args {
            p::FunctionArguments::None => {}
            p::FunctionArguments::Subquery(_) => {
                return Err(illegal(format!("call to {name} uses a subquery argument")))
            }
            p::FunctionArguments::List(list) => {
                if list.duplicate_treatment.is_some() {
                    return Err(illegal(format!(
                        "call to {name} uses a duplicate treatment"
                    )));
                }
                if !list.clauses.is_empty() {
                    return Err(illegal(format!("call to {name} uses a clause")));
                }
                for arg in &list.args {
                    match arg {
                        p::FunctionArg::Named { .. } => {
                            return Err(illegal(format!("call to {name} uses a named argument")))
                        }
                        p::FunctionArg::ExprNamed { name: n, .. } => {
                            return Err(illegal(format!(
                                "call to {name} uses illegal ExprNamed {n}"
                            )))
                        }
                        p::FunctionArg::Unnamed(p::FunctionArgExpr::Expr(e)) => {
                            args.push(self.expr(e)?)
                        }
                        p::FunctionArg::Unnamed(_) => {
                            return Err(illegal(format!("call to {name} uses a wildcard argument")))
                        }
                    }
                }
            }
        }
        let lower = ident.value.to_ascii_lowercase();
        let func =
            match lower.as_str() {
                "abs" => Function::Abs,
                "ceil" | "ceiling" => Function::Ceiling,
                "floor" => {
                    // Only reachable quoted (`"floor"(x)`); unquoted, the parser makes it `Floor`.
                    return Err(nope("Floor"));
                }
                "div" => Function::Div,
                "gcd" => Function::Gcd,
                "lcm" => Function::Lcm,
                "mod" => Function::Mod,
                "sign" => Function::Sign,
                "coalesce" => Function::Coalesce,
                "nullif" => Function::Nullif,
                "greatest" => Function::Greatest,
                "least" => Function::Least,
                "power" => return Err(sprig_nope(
                    "the function `power` (PostgreSQL computes it in floating point or with its \
                     own numeric algorithm)",
                )),
                _ => unreachable!("whitelisted above"),
            };
        let arity = |n: usize| -> Result<(), String> {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "function {lower} takes {n} argument{}, not {}",
                    if n == 1 { "" } else { "s" },
                    args.len()
                ))
            }
        };
        let sql_type = match func {
            Function::Abs | Function::Ceiling | Function::Sign => {
                arity(1)?;
                let t = numeric_arg(&args[0], &lower)?;
                match (func, t) {
                    (Function::Abs, t) => t,
                    (_, SqlType::Numeric) => SqlType::Numeric,
                    _ => {
                        return Err(sprig_nope(&format!(
                            "{lower} of an integer (PostgreSQL computes it as double precision; \
                             cast the argument to numeric)"
                        )))
                    }
                }
            }
            Function::Div => {
                arity(2)?;
                numeric_arg(&args[0], &lower)?;
                numeric_arg(&args[1], &lower)?;
                SqlType::Numeric
            }
            Function::Gcd | Function::Lcm | Function::Mod => {
                arity(2)?;
                numeric_arg(&args[0], &lower)?.max(numeric_arg(&args[1], &lower)?)
            }
            Function::Nullif => {
                arity(2)?;
                self.comparable(&args[0], &args[1], "NULLIF")?;
                // PostgreSQL returns the first argument of the implied `=`, which is promoted
                // only when no `=` takes both types: to numeric (`NULLIF(1, 2.2)` is numeric,
                // `NULLIF(int4, int8)` an int4, compared by `int48eq`).
                match args[0].sql_type() {
                    Some(t) if args[1].sql_type() == Some(SqlType::Numeric) => {
                        t.max(SqlType::Numeric)
                    }
                    Some(t) => t,
                    None => return Err(sprig_nope("NULLIF of an untyped NULL")),
                }
            }
            Function::Coalesce | Function::Greatest | Function::Least => {
                if args.is_empty() {
                    return Err(format!("function {lower} needs at least one argument"));
                }
                let t = common_type(&args.iter().collect::<Vec<_>>(), &lower)?;
                if t == SqlType::Bool && func != Function::Coalesce {
                    // PostgreSQL orders booleans, but a boolean cannot be aggregated anyway.
                    return Err(sprig_nope(&format!("{lower} of booleans")));
                }
                t
            }
        };
        Ok(Expr::Call {
            func,
            args,
            sql_type,
        })
    }
}

/// A number argument of a math function; an untyped NULL counts as the narrowest.
fn numeric_arg(e: &Expr, func: &str) -> Result<SqlType, String> {
    match e.sql_type() {
        Some(SqlType::Bool) => Err(format!("function {func} does not take a boolean argument")),
        Some(t) => Ok(t),
        None => Err(sprig_nope(&format!("{func} of an untyped NULL"))),
    }
}

/// PostgreSQL's common type of CASE results and COALESCE/GREATEST/LEAST arguments: the widest
/// number type, or boolean; untyped NULLs take it.
fn common_type(exprs: &[&Expr], what: &str) -> Result<SqlType, String> {
    let types: Vec<SqlType> = exprs.iter().filter_map(|e| e.sql_type()).collect();
    let Some(first) = types.first() else {
        return Err(sprig_nope(&format!(
            "{what} whose results are all untyped NULLs"
        )));
    };
    if types.iter().any(|t| t.is_number() != first.is_number()) {
        return Err(format!(
            "{what} types boolean and a number cannot be matched"
        ));
    }
    Ok(types.into_iter().max().expect("not empty"))
}

/// The type of a cast's target; only the casts PostgreSQL evaluates exactly.
fn cast_type(t: &p::DataType) -> Result<SqlType, String> {
    use p::DataType as D;
    Ok(match t {
        D::Int(None) | D::Int4(None) | D::Integer(None) => SqlType::Int4,
        D::Int8(None) | D::BigInt(None) => SqlType::Int8,
        D::Numeric(p::ExactNumberInfo::None)
        | D::Decimal(p::ExactNumberInfo::None)
        | D::Dec(p::ExactNumberInfo::None) => SqlType::Numeric,
        D::Boolean | D::Bool => SqlType::Bool,
        other => {
            return Err(sprig_nope(&format!(
                "a cast to {other} (supported: numeric, decimal, int, int4, integer, int8, \
                 bigint, boolean)"
            )))
        }
    })
}

/// A number literal, typed as PostgreSQL types it.
fn number(text: String) -> Expr {
    let sql_type = if text.contains(['.', 'e', 'E']) {
        SqlType::Numeric
    } else if text.parse::<i32>().is_ok() {
        SqlType::Int4
    } else if text.parse::<i64>().is_ok() {
        SqlType::Int8
    } else {
        SqlType::Numeric
    };
    Expr::Number { text, sql_type }
}

/// A literal: numbers typed as PostgreSQL types them, booleans, NULL.
fn literal(v: &p::Value) -> Result<Expr, String> {
    Ok(match v {
        p::Value::Number(text, _) => {
            // `1_000` and hex, octal or binary integers depend on the PostgreSQL version
            // (16+ reads them, older versions refuse them).
            let plain = text.clone();
            let (mantissa, exponent) = match plain.split_once(['e', 'E']) {
                Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
                None => (plain.as_str(), None),
            };
            let digits = mantissa.replacen('.', "", 1);
            if digits.is_empty()
                || !digits.chars().all(|c| c.is_ascii_digit())
                || exponent.is_some_and(|e| e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()))
            {
                return Err(sprig_nope(&format!(
                    "the number literal {text} (PostgreSQL 16 and later read it, earlier \
                     versions refuse it)"
                )));
            }
            number(plain)
        }
        p::Value::Boolean(b) => Expr::Bool(*b),
        p::Value::Null => Expr::Null,
        other => {
            return Err(sprig_nope(&format!(
                "the literal {other} (only numbers, true, false and NULL)"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(name: &str) -> Result<SqlType, String> {
        match name {
            "a" => Ok(SqlType::Int4),
            "b" => Ok(SqlType::Int8),
            "n" => Ok(SqlType::Numeric),
            _ => Err(format!("no field {name}")),
        }
    }

    fn err(sql: &str) -> String {
        parse(sql, &types).unwrap_err()
    }

    #[test]
    fn types_follow_postgresql() {
        let t = |sql: &str| parse(sql, &types).unwrap().sql_type().unwrap();
        assert_eq!(t("a + 1"), SqlType::Int4);
        assert_eq!(t("a + b"), SqlType::Int8);
        assert_eq!(t("a * 2147483648"), SqlType::Int8);
        assert_eq!(t("-2147483648"), SqlType::Int4);
        assert_eq!(t("-(-2147483648)"), SqlType::Int8);
        assert_eq!(t("-(+2147483648)"), SqlType::Int8);
        assert_eq!(t("1000000000000"), SqlType::Int8);
        assert_eq!(t("a / 2.0"), SqlType::Numeric);
        assert_eq!(t("greatest(a, b, 0)"), SqlType::Int8);
        assert_eq!(t("case when a > b then a else null end"), SqlType::Int4);
        assert_eq!(t("coalesce(null, n)"), SqlType::Numeric);
        assert_eq!(t("div(a, 2)"), SqlType::Numeric);
        assert_eq!(t("mod(a, b)"), SqlType::Int8);
        assert_eq!(t("a::numeric"), SqlType::Numeric);
        assert_eq!(t("CAST(n AS bigint)"), SqlType::Int8);
        assert_eq!(
            parse("(a + b) * 2", &types).unwrap().fields(),
            vec!["a", "b"]
        );
    }

    #[test]
    fn refuses_what_graph_node_refuses() {
        assert_eq!(err("a || b"), "binary operator || is not supported");
        assert_eq!(err("sqrt(a)"), "Function sqrt is not supported");
        assert_eq!(err("random()"), "Function random is not supported");
        assert_eq!(
            err("a between 1 and 2"),
            "Expressions using Between are not supported"
        );
        assert_eq!(
            err("a in (1, 2)"),
            "Expressions using InList are not supported"
        );
        assert_eq!(err("ceil(n)"), "Expressions using Ceil are not supported");
        assert_eq!(err("floor(n)"), "Expressions using Floor are not supported");
        assert_eq!(
            err("pg_catalog.abs(a)"),
            "Illegal function: function name pg_catalog.abs uses a qualified name with '.'"
        );
        assert_eq!(
            err("x.a"),
            "Expressions using CompoundIdentifier are not supported"
        );
        assert!(
            err("a +").starts_with("Failed to parse expression: "),
            "{}",
            err("a +")
        );
        assert_eq!(err("zz + 1"), "no field zz");
    }

    #[test]
    fn refuses_what_sprig_does_not_evaluate() {
        for sql in [
            "a ^ 2",
            "power(a, 2)",
            "ceiling(a)",
            "sign(b)",
            "a::float8",
            "a::numeric(10, 2)",
            "'5' + a",
            "a <=> b",
        ] {
            assert!(
                err(sql).contains("not supported by Sprig"),
                "{sql}: {}",
                err(sql)
            );
        }
        assert_eq!(
            err("a > 1"),
            "the expression is of type boolean, but an aggregate needs a number"
        );
        assert!(err("a + true").contains("boolean"));
        assert!(err("case when a then 1 end").contains("must be type boolean"));
        assert!(err("a 1").contains("after the expression"));
        for sql in ["0x10 + a", "1_000 + a", "a + 1e"] {
            assert!(
                parse(sql, &types).is_err(),
                "{sql}: {:?}",
                parse(sql, &types)
            );
        }
    }
}
