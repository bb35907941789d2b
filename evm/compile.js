// Compiles Gnosis ConditionalTokens 1.0.3 from the npm package's own Solidity source, and a
// standard ERC20 collateral (OpenZeppelin 2.3.0's ERC20Mintable, the CTF package's dependency),
// with solcjs 0.5.17, offline. Writes build/contracts.json: {name: {abi, bytecode}}.
// Usage: node compile.js  (prints the output path)
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const modules = path.join(__dirname, 'node_modules');
const ctfDir = path.join(modules, '@gnosis.pm', 'conditional-tokens-contracts', 'contracts');
const sources = {
  'ConditionalTokens.sol': { content: fs.readFileSync(path.join(ctfDir, 'ConditionalTokens.sol'), 'utf8') },
  'Collateral.sol': {
    content:
      'pragma solidity ^0.5.0;\n' +
      'import "openzeppelin-solidity/contracts/token/ERC20/ERC20Mintable.sol";\n' +
      'contract Collateral is ERC20Mintable {}\n',
  },
};

function findImports(importPath) {
  for (const base of [modules, ctfDir]) {
    const candidate = path.join(base, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: 'not found: ' + importPath };
}

const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input), findImports));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const wanted = { ConditionalTokens: 'ConditionalTokens.sol', Collateral: 'Collateral.sol' };
const result = { compiler: solc.version() };
for (const [name, file] of Object.entries(wanted)) {
  const contract = output.contracts[file][name];
  result[name] = { abi: contract.abi, bytecode: '0x' + contract.evm.bytecode.object };
}
const outDir = path.join(__dirname, 'build');
fs.mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, 'contracts.json');
fs.writeFileSync(outFile, JSON.stringify(result));
console.log(outFile);
