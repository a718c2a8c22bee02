// A real Arweave gateway (arlocal: Arweave's HTTP API over SQLite) on loopback, for Sprig's tests,
// and a small control server beside it that signs and posts transactions with the `arweave`
// client, as a user uploading files would. Prints `listening <gateway port> <control port>` once
// both listen; exits when its standard input closes.
//
//   node gateway.mjs DATA_DIR
//
// Control server:
//   POST /sign[?type=MIME]     body = data; signs a transaction carrying it (with a
//                              Content-Type tag) without posting it; answers its id. The id is
//                              fixed from here on, so it can be announced before the data exists.
//   POST /post/<id>            posts a transaction signed by /sign and mines a block
//   POST /add[?type=MIME]      /sign then /post; answers the id
//   POST /manifest             body = JSON {"path": "<id>", ...}; adds a path manifest (the
//                              gateway then serves `<manifest id>/<path>`); answers its id
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import ArLocalModule from 'arlocal'
import ArweaveModule from 'arweave'

const ArLocal = ArLocalModule.default ?? ArLocalModule
const Arweave = ArweaveModule.default ?? ArweaveModule

const [dataDir] = process.argv.slice(2)
if (!dataDir) throw new Error('usage: gateway.mjs DATA_DIR')

// arlocal takes a port, not a listening socket: ask the OS for a free one first.
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const port = await freePort()
const arlocal = new ArLocal(port, false, path.join(dataDir, 'arlocal'), false)
await arlocal.start()
const arweave = Arweave.init({ host: '127.0.0.1', port, protocol: 'http', logging: false })
const wallet = await arweave.wallets.generate()
const address = await arweave.wallets.jwkToAddress(wallet)
const gateway = `http://127.0.0.1:${port}`
await fetch(`${gateway}/mint/${address}/1000000000000000000`)

const signed = new Map() // id -> transaction, signed but not posted

async function body(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function sign(data, type) {
  const tx = await arweave.createTransaction({ data }, wallet)
  tx.addTag('Content-Type', type)
  await arweave.transactions.sign(tx, wallet)
  signed.set(tx.id, tx)
  return tx.id
}

async function post(id) {
  const tx = signed.get(id)
  if (!tx) throw new Error(`no signed transaction ${id}`)
  const res = await arweave.transactions.post(tx)
  if (res.status !== 200) throw new Error(`posting ${id}: ${res.status} ${JSON.stringify(res.data)}`)
  signed.delete(id)
  const mined = await fetch(`${gateway}/mine`)
  if (!mined.ok) throw new Error(`mining: ${mined.status}`)
}

const control = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost')
    const type = url.searchParams.get('type') ?? 'application/octet-stream'
    let answer = ''
    if (req.method === 'POST' && url.pathname === '/sign') {
      answer = await sign(await body(req), type)
    } else if (req.method === 'POST' && url.pathname.startsWith('/post/')) {
      await post(url.pathname.slice('/post/'.length))
    } else if (req.method === 'POST' && url.pathname === '/add') {
      answer = await sign(await body(req), type)
      await post(answer)
    } else if (req.method === 'POST' && url.pathname === '/manifest') {
      const paths = JSON.parse((await body(req)).toString())
      const manifest = {
        manifest: 'arweave/paths',
        version: '0.1.0',
        // arlocal needs an index (the path served for the bare manifest id): the first one.
        index: { path: Object.keys(paths)[0] },
        paths: Object.fromEntries(Object.entries(paths).map(([p, id]) => [p, { id }])),
      }
      answer = await sign(Buffer.from(JSON.stringify(manifest)), 'application/x.arweave-manifest+json')
      await post(answer)
    } else {
      res.writeHead(404).end('unknown request')
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(answer)
  } catch (e) {
    res.writeHead(500).end(String(e?.stack ?? e))
  }
})
control.listen(0, '127.0.0.1', () => {
  console.log(`listening ${port} ${control.address().port}`)
})

// The Rust side closes our stdin when it is done (or dies): stop arlocal, which deletes its data.
process.stdin.on('data', () => {})
process.stdin.on('end', async () => {
  control.close()
  try {
    await arlocal.stop()
  } finally {
    process.exit(0)
  }
})
