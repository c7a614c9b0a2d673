import { join } from 'node:path';
import { WhisperTokenizer } from '../../plugins/whisper/tokenizer';
import { WHISPER_TEST_DIMS, scriptAfterPrefix, whisperSpecialTokenIds, writeWhisperFixture } from '../fixtures/whisper/generate-whisper';
import { buildWhisperTokenizerJson } from '../fixtures/whisper/tokenizer-fixture';

/**
 * Writes a real (tiny, random-weight) Whisper export into `modelsDir/id` that says `said` whatever it hears: the
 * whisper plugin serves it as whisper-1, so a test can follow speech-to-text through the whole server.
 * The script fits both decoder prompts: <|startoftranscript|><|lang|><|transcribe|> then <|notimestamps|> or the
 * first timestamp, so the words follow position 4 either way. Without timestamps the first word is the first
 * token, where Whisper suppresses a bare space (begin_suppress_tokens): pick `said` so its first token carries a
 * letter (the fixture vocabulary has " What", " Call", but not " Please").
 */
export async function writeScriptedWhisper(modelsDir: string, id: string, said: string): Promise<void> {
  const special = whisperSpecialTokenIds('multilingual');
  const words = WhisperTokenizer.fromJson(buildWhisperTokenizerJson('multilingual')).encode(said);
  await writeWhisperFixture(join(modelsDir, id), {
    ...WHISPER_TEST_DIMS,
    vocab: 'multilingual',
    seed: 5,
    script: scriptAfterPrefix(4, [...words, special.endOfText]),
  });
}
