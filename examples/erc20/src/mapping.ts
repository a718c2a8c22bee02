import { Address, BigDecimal, BigInt, Bytes } from "@graphprotocol/graph-ts";
import { Memo as MemoEvent, Token as TokenContract, Transfer as TransferEvent } from "../generated/Token/Token";
import { Account, Memo, Token, Transfer } from "../generated/schema";

/** The token entity for the emitting contract; created on first sight with three eth_calls. */
function loadToken(address: Address): Token {
  let token = Token.load(address);
  if (token == null) {
    let contract = TokenContract.bind(address);
    token = new Token(address);
    token.name = contract.name();
    // try_ variant: a reverting call yields a fallback instead of failing the subgraph.
    let symbol = contract.try_symbol();
    token.symbol = symbol.reverted ? "???" : symbol.value;
    token.decimals = contract.decimals();
    token.totalSupply = BigInt.zero();
    token.transferCount = BigInt.zero();
  }
  return token;
}

function scale(decimals: i32): BigDecimal {
  return BigInt.fromI32(10).pow(decimals as u8).toBigDecimal();
}

/** Adds `delta` to an account's balance and saves it. Each call loads afresh, so a
 *  self-transfer (subtract, save, then add, save) leaves the balance unchanged. */
function adjustBalance(id: Bytes, delta: BigInt, decimals: i32): void {
  let account = Account.load(id);
  if (account == null) {
    account = new Account(id);
    account.balance = BigInt.zero();
  }
  account.balance = account.balance.plus(delta);
  account.balanceDecimal = account.balance.toBigDecimal().div(scale(decimals));
  account.save();
}

export function handleTransfer(event: TransferEvent): void {
  let token = loadToken(event.address);
  let from = event.params.from;
  let to = event.params.to;
  let value = event.params.value;

  if (from.equals(Address.zero())) {
    token.totalSupply = token.totalSupply.plus(value);
  }
  if (to.equals(Address.zero())) {
    token.totalSupply = token.totalSupply.minus(value);
  }
  token.transferCount = token.transferCount.plus(BigInt.fromI32(1));
  token.save();

  adjustBalance(from, value.neg(), token.decimals);
  adjustBalance(to, value, token.decimals);

  let transfer = new Transfer(event.transaction.hash.concatI32(event.logIndex.toI32()));
  transfer.from = from;
  transfer.to = to;
  transfer.value = value;
  transfer.blockNumber = event.block.number;
  transfer.timestamp = event.block.timestamp;
  transfer.transaction = event.transaction.hash;
  transfer.save();
}

export function handleMemo(event: MemoEvent): void {
  let memo = new Memo(event.transaction.hash.concatI32(event.logIndex.toI32()));
  memo.sender = event.params.sender;
  memo.text = event.params.text;
  memo.data = event.params.data;
  memo.num = event.params.num;
  memo.numI64 = event.params.num.toI64();
  memo.flag = event.params.flag;
  memo.save();
}
