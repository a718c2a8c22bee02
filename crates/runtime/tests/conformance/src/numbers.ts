// bigInt.* and bigDecimal.*: limits, signs, rounding and the 34-digit normalisation.
import { BigDecimal, BigInt, ethereum } from "@graphprotocol/graph-ts";
import { eq } from "./check";

function bi(s: string): BigInt {
  return BigInt.fromString(s);
}

function bd(s: string): BigDecimal {
  return BigDecimal.fromString(s);
}

const U256_MAX = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
const TWO_255 = "57896044618658097711785492504343953926634992332820282019728792003956564819968";

export function test_bigint_arithmetic(block: ethereum.Block): void {
  // graph-node runtime/test big_int_arithmetic vectors.
  eq("0 + 1", BigInt.fromI32(0).plus(BigInt.fromI32(1)).toString(), "1");
  eq("127 + 1", BigInt.fromI32(127).plus(BigInt.fromI32(1)).toString(), "128");
  eq("5 - 10", BigInt.fromI32(5).minus(BigInt.fromI32(10)).toString(), "-5");
  eq("-20 * 5", BigInt.fromI32(-20).times(BigInt.fromI32(5)).toString(), "-100");
  eq("5 / 2", BigInt.fromI32(5).div(BigInt.fromI32(2)).toString(), "2");
  eq("5 % 2", BigInt.fromI32(5).mod(BigInt.fromI32(2)).toString(), "1");
  // Truncating division: the remainder has the dividend's sign.
  eq("-7 / 2", BigInt.fromI32(-7).div(BigInt.fromI32(2)).toString(), "-3");
  eq("-7 % 2", BigInt.fromI32(-7).mod(BigInt.fromI32(2)).toString(), "-1");
  eq("7 / -2", BigInt.fromI32(7).div(BigInt.fromI32(-2)).toString(), "-3");
}

export function test_bigint_limits(block: ethereum.Block): void {
  eq("2^255", BigInt.fromI32(2).pow(255).toString(), TWO_255);
  eq("1 << 255", BigInt.fromI32(1).leftShift(255).toString(), TWO_255);
  eq("2^255 >> 254", bi(TWO_255).rightShift(254).toString(), "2");
  eq("2^0", BigInt.fromI32(7).pow(0).toString(), "1");
  eq("u256 max + 1", bi(U256_MAX).plus(BigInt.fromI32(1)).toString(),
    "115792089237316195423570985008687907853269984665640564039457584007913129639936");
  // graph-node runtime/test big_int_to_hex vectors.
  eq("hex 0", BigInt.fromI32(0).toHex(), "0x0");
  eq("hex 1", BigInt.fromI32(1).toHex(), "0x1");
  eq("hex u256 max", bi(U256_MAX).toHex(),
    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  eq("bitOr", BigInt.fromI32(12).bitOr(BigInt.fromI32(3)).toString(), "15");
  eq("bitAnd", BigInt.fromI32(12).bitAnd(BigInt.fromI32(6)).toString(), "4");
}

export function test_bigint_from_string(block: ethereum.Block): void {
  eq("-0", bi("-0").toString(), "0");
  eq("leading zeros", bi("000123").toString(), "123");
  eq("+5", bi("+5").toString(), "5");
  eq("negative", bi("-922337203685077092345034").toString(), "-922337203685077092345034");
  eq("u256 max", bi(U256_MAX).toString(), U256_MAX);
}

export function fails_bigint_from_string_garbage(block: ethereum.Block): void {
  bi("12abc");
}

export function fails_bigint_divide_by_zero(block: ethereum.Block): void {
  BigInt.fromI32(1).div(BigInt.fromI32(0));
}

export function fails_bigint_mod_by_zero(block: ethereum.Block): void {
  BigInt.fromI32(1).mod(BigInt.fromI32(0));
}

export function test_bigdecimal_normalisation(block: ethereum.Block): void {
  // graph-node graph/src/data/store/scalar/bigdecimal.rs test_normalize and big_decimal_stable.
  eq("10e-2", bd("0.10").toString(), "0.1");
  eq("132400e4", bd("1324000000").toString(), "1324000000");
  eq("1900000e-3", bd("1900.000").toString(), "1900");
  eq("0e3", bd("0e3").toString(), "0");
  eq("0e-5", bd("0e-5").toString(), "0");
  eq("0.1", bd("0.1").toString(), "0.1");
  eq("-0.1", bd("-0.1").toString(), "-0.1");
  eq("198.98765544", bd("198.98765544").toString(), "198.98765544");
  eq("0.00000093937698", bd("0.00000093937698").toString(), "0.00000093937698");
  eq("98765587998098786876.0", bd("98765587998098786876.0").toString(), "98765587998098786876");
  // 35 significant digits round half up to 34.
  eq("35 digits", bd("12345678901234567890123456789012345").toString(),
    "12345678901234567890123456789012350");
}

export function test_bigdecimal_division(block: ethereum.Block): void {
  eq("1/3", bd("1").div(bd("3")).toString(), "0.3333333333333333333333333333333333");
  eq("2/3", bd("2").div(bd("3")).toString(), "0.6666666666666666666666666666666667");
  // bigdecimal 0.1.2 (graph-node's normalisation) undercounts the digits of a negative value:
  // it keeps 35 and truncates instead of rounding.
  eq("-2/3", bd("-2").div(bd("3")).toString(), "-0.66666666666666666666666666666666666");
  eq("1/8", bd("1").div(bd("8")).toString(), "0.125");
  eq("1.5 * -2", bd("1.5").times(bd("-2")).toString(), "-3");
  eq("1.1 + 2.2", bd("1.1").plus(bd("2.2")).toString(), "3.3");
  eq("BigInt / BigDecimal", BigInt.fromI32(1).divDecimal(bd("4")).toString(), "0.25");
  eq("equals ignores scale", bd("1.50").equals(bd("1.5")) ? "true" : "false", "true");
}

export function fails_bigdecimal_divide_by_zero(block: ethereum.Block): void {
  bd("1").div(bd("0"));
}
