// The local chain of the redemption tests: `hardhat node` on loopback only. No contracts are
// compiled by Hardhat (compile.js does that with solc); chain id 31337, automatic mining.
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      // a fixed starting time would not help: tests read every time from the chain itself
      mining: { auto: true },
    },
  },
};
