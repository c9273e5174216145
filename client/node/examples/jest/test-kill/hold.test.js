// SPDX-License-Identifier: MIT
// Used by ci.sh only: a run that is still going when it is killed.
test('holds the run open', () => new Promise((resolve) => setTimeout(resolve, 60000)), 70000)
