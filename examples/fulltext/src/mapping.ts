import { Listed, Renamed } from "../generated/Registry/Registry";
import { Token } from "../generated/schema";

export function handleListed(event: Listed): void {
  let token = new Token(event.params.id.toString());
  token.name = event.params.name;
  token.symbol = event.params.symbol;
  token.save();
}

/** A new name: the store keeps the old version (and its search document) for time travel. */
export function handleRenamed(event: Renamed): void {
  let token = Token.load(event.params.id.toString());
  if (token == null) return;
  token.name = event.params.name;
  token.renamedAt = event.block.number;
  token.save();
}
