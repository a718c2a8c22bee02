import { DataSourceContext } from "@graphprotocol/graph-ts";
import { FilePublished } from "../generated/Announcements/Files";
import { Doc as DocTemplate } from "../generated/templates";

// Only creates the file data source: the file is read by `handleDoc` whenever IPFS has it,
// while this data source's blocks are indexed without waiting for it. The context tells the
// file's handler who announced it.
export function handleAnnounced(event: FilePublished): void {
  let context = new DataSourceContext();
  context.setBytes("announcer", event.params.author);
  DocTemplate.createWithContext(event.params.cid, context);
}
