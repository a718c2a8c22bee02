import { DataSourceContext } from "@graphprotocol/graph-ts";
import { FilePublished } from "../generated/ArweaveAnnouncements/Files";
import { ArweaveDoc as ArweaveDocTemplate } from "../generated/templates";

// The announced string is an Arweave transaction id (or `<id>/<path>`): only creates the
// `file/arweave` data source, whose handler reads the data whenever the gateway has it.
export function handleArweaveAnnounced(event: FilePublished): void {
  let context = new DataSourceContext();
  context.setBytes("announcer", event.params.author);
  ArweaveDocTemplate.createWithContext(event.params.cid, context);
}
