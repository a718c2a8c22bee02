// A real IPFS (Helia's UnixFS on a memory blockstore) served over the HTTP gateway protocol on
// loopback, for Sprig's tests. Prints `listening <port>` once ready.
//
//   GET  /ipfs/<cid>?format=raw (or Accept: application/vnd.ipld.raw)  a block (trustless gateway)
//   GET  /ipfs/<cid>                          the whole file, as a plain gateway serves it
//   POST /add?cidVersion=0|1&rawLeaves=true|false&chunkSize=N[&hidden=1]   body = file; answers
//        its CID. `hidden`: the CID is computed but nothing is served until POST /reveal/<cid>.
//   POST /reveal/<cid>                        serve a hidden file's blocks from now on
//   POST /corrupt/<cid>                       answer that block with one byte changed
//   POST /hold                                hold requests for blocks not served (no answer)...
//   POST /release                             ...until now: they get their 404 and later ones too
//   GET  /stats                               `<in flight> <most in flight> <CIDs asked for>`:
//        block and file requests being answered now, at most at once so far, distinct CIDs
import http from 'node:http'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { CID } from 'multiformats/cid'

const served = new MemoryBlockstore()
const fs = unixfs({ blockstore: served })
const scratch = unixfs({ blockstore: new MemoryBlockstore() })
const hidden = new Map() // cid -> [bytes, options]
const corrupt = new Set()
let holding = false
const held = [] // resolvers of the requests held until POST /release
let inFlight = 0
let mostInFlight = 0
const asked = new Set()

async function bytesOf(value) {
  if (value instanceof Uint8Array) return value
  const chunks = []
  for await (const chunk of value) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function body(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

function options(url) {
  const q = url.searchParams
  return {
    cidVersion: Number(q.get('cidVersion') ?? 1),
    rawLeaves: (q.get('rawLeaves') ?? 'true') === 'true',
    chunker: fixedSize({ chunkSize: Number(q.get('chunkSize') ?? 262144) }),
  }
}

// The answer to GET /ipfs/<arg>: a block, a whole file, or 404 (after POST /release, if held).
async function get(url, req, arg) {
  const cid = CID.parse(arg)
  const raw = url.searchParams.get('format') === 'raw' ||
    (req.headers.accept ?? '').includes('application/vnd.ipld.raw')
  if (!(await served.has(cid))) {
    if (holding) await new Promise((resolve) => held.push(resolve))
    return { status: 404, headers: {}, body: 'not found' }
  }
  let bytes
  if (raw) {
    bytes = Buffer.from(await bytesOf(served.get(cid)))
    if (corrupt.has(cid.toString())) bytes[bytes.length - 1] ^= 0xff
  } else {
    bytes = await bytesOf(fs.cat(cid))
  }
  return {
    status: 200,
    headers: { 'content-type': raw ? 'application/vnd.ipld.raw' : 'application/octet-stream' },
    body: bytes,
  }
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost')
    const [, kind, arg] = url.pathname.split('/')
    if (req.method === 'GET' && kind === 'ipfs') {
      asked.add(arg)
      inFlight += 1
      mostInFlight = Math.max(mostInFlight, inFlight)
      let answer
      try {
        answer = await get(url, req, arg)
      } finally {
        // Before answering: a request the client sends once it has this answer is never
        // counted together with this one.
        inFlight -= 1
      }
      res.writeHead(answer.status, answer.headers).end(answer.body)
    } else if (req.method === 'POST' && kind === 'hold') {
      holding = true
      res.end('ok')
    } else if (req.method === 'POST' && kind === 'release') {
      holding = false
      for (const resolve of held.splice(0)) resolve()
      res.end('ok')
    } else if (req.method === 'GET' && kind === 'stats') {
      res.end(`${inFlight} ${mostInFlight} ${asked.size}`)
    } else if (req.method === 'POST' && kind === 'add') {
      const bytes = await body(req)
      const opts = options(url)
      if (url.searchParams.get('hidden') === '1') {
        const cid = await scratch.addBytes(bytes, opts)
        hidden.set(cid.toString(), [bytes, opts])
        res.end(cid.toString())
      } else {
        res.end((await fs.addBytes(bytes, opts)).toString())
      }
    } else if (req.method === 'POST' && kind === 'reveal') {
      const [bytes, opts] = hidden.get(arg)
      res.end((await fs.addBytes(bytes, opts)).toString())
    } else if (req.method === 'POST' && kind === 'corrupt') {
      corrupt.add(CID.parse(arg).toString())
      res.end('ok')
    } else {
      res.writeHead(400).end('unknown request')
    }
  } catch (e) {
    res.writeHead(500).end(String(e?.stack ?? e))
  }
})
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})
