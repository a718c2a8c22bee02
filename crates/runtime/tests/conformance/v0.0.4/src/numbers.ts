// bigInt.* and bigDecimal.* through the AssemblyScript 0.6 layout: signs, limits, rounding and
// the 34-digit normalisation (expected values as in ../../src/numbers.ts).
import { BigDecimal, BigInt, ethereum } from "@graphprotocol/graph-ts";
import { eq, ok } from "./check";

function bi(s: string): BigInt {
  return BigInt.fromString(s);
}

function bd(s: string): BigDecimal {
  return BigDecimal.fromString(s);
}

const U256_MAX = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
const TWO_255 = "57896044618658097711785492504343953926634992332820282019728792003956564819968";

export function test_bigint_arithmetic(block: ethereum.Block): void {
  eq("0 + 1", BigInt.fromI32(0).plus(BigInt.fromI32(1)).toString(), "1");
  eq("127 + 1", BigInt.fromI32(127).plus(BigInt.fromI32(1)).toString(), "128");
  eq("5 - 10", BigInt.fromI32(5).minus(BigInt.fromI32(10)).toString(), "-5");
  eq("-20 * 5", BigInt.fromI32(-20).times(BigInt.fromI32(5)).toString(), "-100");
  eq("-7 / 2", BigInt.fromI32(-7).div(BigInt.fromI32(2)).toString(), "-3");
  eq("-7 % 2", BigInt.fromI32(-7).mod(BigInt.fromI32(2)).toString(), "-1");
  eq("7 / -2", BigInt.fromI32(7).div(BigInt.fromI32(-2)).toString(), "-3");
  eq("i32 min", BigInt.fromI32(-2147483648).toString(), "-2147483648");
  ok("i32 round trip", BigInt.fromI32(-123456).toI32() == -123456);
}

export function test_bigint_limits(block: ethereum.Block): void {
  eq("2^255", BigInt.fromI32(2).pow(255).toString(), TWO_255);
  eq("1 << 255", BigInt.fromI32(1).leftShift(255).toString(), TWO_255);
  eq("2^255 >> 254", bi(TWO_255).rightShift(254).toString(), "2");
  eq("u256 max + 1", bi(U256_MAX).plus(BigInt.fromI32(1)).toString(),
    "115792089237316195423570985008687907853269984665640564039457584007913129639936");
  eq("hex 0", BigInt.fromI32(0).toHex(), "0x0");
  eq("hex u256 max", bi(U256_MAX).toHex(),
    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  eq("bit or", BigInt.fromI32(12).bitOr(BigInt.fromI32(3)).toString(), "15");
  eq("bit and", BigInt.fromI32(12).bitAnd(BigInt.fromI32(6)).toString(), "4");
  eq("negative from string", bi("-115792089237316195423570985008687907853269984665640564039457584007913129639935").toString(),
    "-115792089237316195423570985008687907853269984665640564039457584007913129639935");
  eq("leading zeros", bi("000123").toString(), "123");
}

export function test_bigdecimal(block: ethereum.Block): void {
  eq("1/3", bd("1").div(bd("3")).toString(), "0.3333333333333333333333333333333333");
  eq("2/3 rounds half up", bd("2").div(bd("3")).toString(), "0.6666666666666666666666666666666667");
  eq("1/8", bd("1").div(bd("8")).toString(), "0.125");
  eq("times", bd("1.5").times(bd("-2")).toString(), "-3");
  eq("plus", bd("0.1").plus(bd("0.2")).toString(), "0.3");
  eq("minus", bd("1").minus(bd("1.000001")).toString(), "-0.000001");
  eq("35 digits round to 34", bd("1.0000000000000000000000000000000005").toString(), "1.000000000000000000000000000000001");
  eq("trailing zeros go", bd("100.000").toString(), "100");
  eq("exponent", bd("1e3").toString(), "1000");
  ok("equality ignores scale", bd("1.0") == bd("1"));
  eq("bigint / decimal", BigInt.fromI32(1).divDecimal(bd("4")).toString(), "0.25");
}

export function fails_bigint_divide_by_zero(block: ethereum.Block): void {
  BigInt.fromI32(1).div(BigInt.fromI32(0));
}

export function fails_bigdecimal_divide_by_zero(block: ethereum.Block): void {
  bd("1").div(bd("0"));
}

export function fails_bigint_from_string_garbage(block: ethereum.Block): void {
  bi("12abc");
}
