//! Declared `eth_call`s of event handlers (`calls:`, specVersion 1.2.0 and later).
//!
//! ```yaml
//! eventHandlers:
//!   - event: Bumped(indexed address,uint256,uint256)
//!     handler: handleBumped
//!     calls:
//!       count: Pair[event.address].count()
//!       balance: Token[event.params.token].balanceOf(event.params.owner)
//! ```
//!
//! graph-node's grammar (`CallExpr` in `graph/src/data_source/common.rs`):
//! `Abi[address].function(arg, ...)`, where the address and each argument is `event.address`,
//! `event.params.<name>`, a literal `0x` address, or (specVersion 1.4.0 and later) a field of a
//! struct parameter, `event.params.<name>.<field>...` with fields by name or index. Every part is
//! resolved against the ABIs here, at load, so the indexer only evaluates a resolved expression
//! per log and never meets an expression it cannot make.

use std::collections::BTreeMap;
use std::str::FromStr;

use alloy::dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy::json_abi::{Event, Function, Param};
use alloy::primitives::{Address, Bytes};
use anyhow::{anyhow, bail, ensure, Context, Result};

use crate::manifest::Abi;

/// One entry of an event handler's `calls:`, resolved against the mapping's ABIs.
#[derive(Clone, Debug, PartialEq)]
pub struct DeclaredCall {
    /// The label the manifest gives the call (only used in messages).
    pub label: String,
    /// The expression as written.
    pub expr: String,
    /// The ABI (among `mapping.abis`) the function is taken from.
    pub abi: String,
    /// The contract called.
    pub address: CallArg,
    /// The function called: the first one of that name in the ABI, as graph-node picks it.
    pub function: Function,
    /// The function's arguments, one per input, each of the input's type.
    pub args: Vec<CallArg>,
}

/// Where a declared call takes a value from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallArg {
    /// A literal address.
    Literal(Address),
    /// `event.address`: the contract that emitted the log.
    EventAddress,
    /// `event.params.<name>[.<field>...]`: the event parameter at `param` (ABI order), then the
    /// struct fields at `fields`, by index.
    Param { param: usize, fields: Vec<usize> },
}

/// The calls an event handler declares, from the manifest's `calls:` map, in label order.
///
/// The specVersion rules are checked with the whole manifest (`Manifest::validate`).
pub(crate) fn resolve(
    raw: &BTreeMap<String, String>,
    event: &Event,
    abis: &[Abi],
) -> Result<Vec<DeclaredCall>> {
    raw.iter()
        .map(|(label, expr)| {
            parse(label, expr, event, abis)
                .with_context(|| format!("declared call `{label}`: `{expr}`"))
        })
        .collect()
}

fn parse(label: &str, expr: &str, event: &Event, abis: &[Abi]) -> Result<DeclaredCall> {
    let s = expr.trim();
    let (abi_name, rest) = s
        .split_once('[')
        .ok_or_else(|| anyhow!("expected `Abi[address].function(args)`: missing `[`"))?;
    let abi_name = abi_name.trim();
    ensure!(!abi_name.is_empty(), "missing the ABI name before `[`");
    let (address, rest) = rest
        .split_once(']')
        .ok_or_else(|| anyhow!("missing `]` after the address"))?;
    let rest = rest
        .strip_prefix('.')
        .ok_or_else(|| anyhow!("missing `.function(...)` after `{abi_name}[{address}]`"))?;
    let (func, rest) = rest
        .split_once('(')
        .ok_or_else(|| anyhow!("missing `(` after the function name"))?;
    let func = func.trim();
    ensure!(!func.is_empty(), "missing the function name");
    let args = rest
        .strip_suffix(')')
        .ok_or_else(|| anyhow!("missing `)` at the end"))?;

    let abi = abis.iter().find(|a| a.name == abi_name).ok_or_else(|| {
        anyhow!(
            "ABI `{abi_name}` is not among mapping.abis ({})",
            abis.iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    // graph-node takes the first function of that name (overloads are not told apart).
    let function = abi
        .contract
        .functions
        .get(func)
        .and_then(|f| f.first())
        .ok_or_else(|| anyhow!("ABI `{abi_name}` has no function `{func}`"))?
        .clone();

    let address_arg = parse_arg(address.trim(), event)
        .with_context(|| format!("address `{}`", address.trim()))?;
    let address_type = arg_type(&address_arg, event)?;
    ensure!(
        address_type == DynSolType::Address,
        "address `{}` is a `{}`, not an `address`",
        address.trim(),
        address_type.sol_type_name()
    );

    let args: Vec<&str> = if args.trim().is_empty() {
        Vec::new()
    } else {
        args.split(',').map(str::trim).collect()
    };
    ensure!(
        args.len() == function.inputs.len(),
        "`{}` takes {} argument(s), but {} are given",
        function.signature(),
        function.inputs.len(),
        args.len()
    );
    let args = args
        .iter()
        .zip(&function.inputs)
        .enumerate()
        .map(|(i, (text, input))| {
            let arg =
                parse_arg(text, event).with_context(|| format!("argument {} `{text}`", i + 1))?;
            let have = arg_type(&arg, event)?;
            let want = input.resolve()?;
            ensure!(
                have == want,
                "argument {} `{text}` is a `{}`, but `{}` expects a `{}` there",
                i + 1,
                have.sol_type_name(),
                function.signature(),
                want.sol_type_name()
            );
            Ok(arg)
        })
        .collect::<Result<_>>()?;
    Ok(DeclaredCall {
        label: label.to_string(),
        expr: s.to_string(),
        abi: abi_name.to_string(),
        address: address_arg,
        function,
        args,
    })
}

/// One address or argument expression.
fn parse_arg(s: &str, event: &Event) -> Result<CallArg> {
    if s.len() == 42 && s.starts_with("0x") {
        return Address::from_str(s)
            .map(CallArg::Literal)
            .map_err(|e| anyhow!("not an address: {e}"));
    }
    let parts: Vec<&str> = s.split('.').collect();
    match parts.as_slice() {
        ["event", "address"] => Ok(CallArg::EventAddress),
        ["event", "params", name, fields @ ..] => {
            let param = event
                .inputs
                .iter()
                .position(|p| p.name == *name)
                .ok_or_else(|| {
                    anyhow!(
                        "the event `{}` has no parameter `{name}` (parameters: {})",
                        event.signature(),
                        event
                            .inputs
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            if fields.is_empty() {
                return Ok(CallArg::Param {
                    param,
                    fields: Vec::new(),
                });
            }
            let input = &event.inputs[param];
            ensure!(
                !input.indexed,
                "`{name}` is indexed: the log holds only its hash, which has no fields"
            );
            let mut components: &[Param] = &input.components;
            let mut indices = Vec::new();
            for field in fields {
                ensure!(
                    !components.is_empty(),
                    "`{field}`: the value before it is not a struct"
                );
                let index = match field.parse::<usize>() {
                    Ok(i) => i,
                    Err(_) => components
                        .iter()
                        .position(|c| c.name == *field)
                        .ok_or_else(|| anyhow!("the struct has no field `{field}`"))?,
                };
                ensure!(
                    index < components.len(),
                    "field index {index} is out of range (the struct has {} fields)",
                    components.len()
                );
                indices.push(index);
                components = &components[index].components;
            }
            Ok(CallArg::Param {
                param,
                fields: indices,
            })
        }
        _ => bail!(
            "expected `event.address`, `event.params.<name>` or a 0x-prefixed 20-byte address"
        ),
    }
}

/// The type of the value an expression gives, as the log decoder produces it.
fn arg_type(arg: &CallArg, event: &Event) -> Result<DynSolType> {
    let CallArg::Param { param, fields } = arg else {
        return Ok(DynSolType::Address);
    };
    let input = &event.inputs[*param];
    let mut ty = input.resolve()?;
    // An indexed parameter of a dynamic type is only its keccak256 hash in the log.
    if input.indexed && is_reference(&ty) {
        ty = DynSolType::FixedBytes(32);
    }
    for &f in fields {
        let DynSolType::Tuple(mut members) = ty else {
            bail!("field access on a value that is not a struct");
        };
        ty = members.swap_remove(f);
    }
    Ok(ty)
}

/// Whether an indexed parameter of this type is stored as a hash (arrays, strings, bytes and
/// structs).
fn is_reference(ty: &DynSolType) -> bool {
    matches!(
        ty,
        DynSolType::String
            | DynSolType::Bytes
            | DynSolType::Array(_)
            | DynSolType::FixedArray(..)
            | DynSolType::Tuple(_)
    )
}

impl DeclaredCall {
    /// Whether the address or an argument reads a field of a struct parameter (specVersion
    /// 1.4.0 and later).
    pub fn uses_struct_fields(&self) -> bool {
        std::iter::once(&self.address)
            .chain(&self.args)
            .any(|a| matches!(a, CallArg::Param { fields, .. } if !fields.is_empty()))
    }

    /// The contract and calldata of this call for a log from `log_address` whose parameters
    /// decoded to `params` (name and value, in ABI order), exactly as a mapping's
    /// `ethereum.call` encodes it.
    pub fn eth_call(
        &self,
        log_address: Address,
        params: &[(String, DynSolValue)],
    ) -> Result<(Address, Bytes)> {
        let value = |arg: &CallArg| -> Result<DynSolValue> {
            Ok(match arg {
                CallArg::Literal(a) => DynSolValue::Address(*a),
                CallArg::EventAddress => DynSolValue::Address(log_address),
                CallArg::Param { param, fields } => {
                    let mut v = params
                        .get(*param)
                        .map(|(_, v)| v)
                        .ok_or_else(|| anyhow!("the log has no parameter {param}"))?;
                    for &f in fields {
                        v = match v {
                            DynSolValue::Tuple(members) => members
                                .get(f)
                                .ok_or_else(|| anyhow!("the struct has no field {f}"))?,
                            _ => bail!("field access on a value that is not a struct"),
                        };
                    }
                    v.clone()
                }
            })
        };
        let to = match value(&self.address)? {
            DynSolValue::Address(a) => a,
            other => bail!("the address is a {other:?}"),
        };
        let args = self.args.iter().map(value).collect::<Result<Vec<_>>>()?;
        let data = self.function.abi_encode_input(&args)?;
        Ok((to, data.into()))
    }
}
