/** `models pull` for Chatterbox repos: one dtype's four graphs (fp32 where the repo has no other), sidecars, configs. */
import { chatterboxPullFiles, selectChatterboxFiles } from '../../../plugins/chatterbox/pull-files';

const ONNX_COMMUNITY = [
  '.gitattributes',
  'README.md',
  'default_voice.wav',
  'tokenizer.json',
  'tokenizer_config.json',
  ...['speech_encoder', 'embed_tokens', 'conditional_decoder', 'language_model'].flatMap((graph) => [`onnx/${graph}.onnx`, `onnx/${graph}.onnx_data`]),
  'onnx/language_model_q4f16.onnx',
  'onnx/language_model_q4f16.onnx_data',
  'onnx/language_model_fp16.onnx',
  'onnx/language_model_fp16.onnx_data',
];

describe('Chatterbox pull file selection', () => {
  it('claims Chatterbox repos only', () => {
    expect(chatterboxPullFiles.matches('onnx-community/chatterbox-multilingual-ONNX')).toBe(true);
    expect(chatterboxPullFiles.matches('ResembleAI/chatterbox-turbo-ONNX')).toBe(true);
    expect(chatterboxPullFiles.matches('onnx-community/whisper-base')).toBe(false);
  });

  it('takes the asked-for dtype where it exists and fp32 for the graphs shipped only in fp32', () => {
    expect(selectChatterboxFiles(ONNX_COMMUNITY, { dtype: 'q4f16' })).toEqual([
      'default_voice.wav',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/speech_encoder.onnx',
      'onnx/speech_encoder.onnx_data',
      'onnx/embed_tokens.onnx',
      'onnx/embed_tokens.onnx_data',
      'onnx/language_model_q4f16.onnx',
      'onnx/language_model_q4f16.onnx_data',
      'onnx/conditional_decoder.onnx',
      'onnx/conditional_decoder.onnx_data',
    ]);
    expect(selectChatterboxFiles(ONNX_COMMUNITY)).not.toContain('onnx/language_model_fp16.onnx');
  });

  it('explains what is wrong with a repo that is not a Chatterbox export', () => {
    expect(() => selectChatterboxFiles(['tokenizer.json', 'onnx/model.onnx'])).toThrow(/speech_encoder/);
    expect(() => selectChatterboxFiles(ONNX_COMMUNITY, { dtype: 'fp8' })).toThrow(/unknown Chatterbox dtype/);
  });
});
