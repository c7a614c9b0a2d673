/**
 * Entry of `npm run models -- <verb>`: fetches and manages model weights in MODELS_DIR. The command itself lives in
 * src/models; this script hands it the file selections of the plugins that have weights to pull.
 */
import { chatterboxPullFiles } from '../plugins/chatterbox/pull-files';
import { whisperPullFiles } from '../plugins/whisper/pull-files';
import { runModelsCli } from '../src/models/cli';

if (require.main === module) {
  void runModelsCli(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    families: [whisperPullFiles, chatterboxPullFiles],
  }).then((code) => {
    process.exitCode = code;
  });
}
