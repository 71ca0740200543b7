// Compiles registry/evm/contracts/*.sol with the pinned solc-js (tools/node/package-lock.json)
// and prints the artifact JSON (ABI, bytecode, compiler version, evmVersion, optimizer) that
// registry/evm/artifacts/EcertLog.json holds. tests/evm/test_artifact.py runs it and compares
// byte for byte, so nothing needs a compiler at run time.
//
//   node registry/evm/compile.js > registry/evm/artifacts/EcertLog.json
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require(path.join(__dirname, "..", "..", "tools", "node", "node_modules", "solc"));

const CONTRACT = "EcertLog";
const SOURCE = path.join("contracts", `${CONTRACT}.sol`);
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"] } },
};

const content = fs.readFileSync(path.join(__dirname, SOURCE), "utf8");
const input = { language: "Solidity", sources: { [SOURCE]: { content } }, settings: SETTINGS };
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  process.stderr.write(errors.map((e) => e.formattedMessage).join("\n"));
  process.exit(1);
}
const compiled = output.contracts[SOURCE][CONTRACT];
const artifact = {
  contractName: CONTRACT,
  source: SOURCE,
  compiler: { name: "solc-js", version: solc.version() },
  evmVersion: SETTINGS.evmVersion,
  optimizer: SETTINGS.optimizer,
  abi: compiled.abi,
  bytecode: "0x" + compiled.evm.bytecode.object,
  deployedBytecode: "0x" + compiled.evm.deployedBytecode.object,
  // Byte ranges of the runtime code that the constructor fills in (deployedAt): a reader masks
  // them when it checks that an address holds this contract.
  immutableReferences: Object.values(compiled.evm.deployedBytecode.immutableReferences).flat(),
};
process.stdout.write(JSON.stringify(artifact, null, 2) + "\n");
