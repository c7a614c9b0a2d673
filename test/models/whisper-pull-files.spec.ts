/**
 * The Whisper file selection on the listing of a real onnx-community repo (names as the hub shows them for
 * onnx-community/whisper-base and whisper-large-v3-turbo): only what transformers.js loads, per dtype.
 */
import { availableWhisperDtypes, isWhisperRepo, selectWhisperFiles } from '../../plugins/whisper/pull-files';
import { GENERIC_FAMILY, familyFor } from '../../src/models/file-selection';
import { whisperPullFiles } from '../../plugins/whisper/pull-files';

const CONFIGS = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json'];
const SUFFIXES = ['', '_bnb4', '_fp16', '_int8', '_q4', '_q4f16', '_quantized', '_uint8'];
const GRAPHS = ['encoder_model', 'decoder_model', 'decoder_with_past_model', 'decoder_model_merged'];

const BASE_LISTING = [
  '.gitattributes',
  'README.md',
  'added_tokens.json',
  'config.json',
  'generation_config.json',
  'merges.txt',
  'normalizer.json',
  'preprocessor_config.json',
  'quantize_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
  ...GRAPHS.flatMap((graph) => SUFFIXES.map((suffix) => `onnx/${graph}${suffix}.onnx`)),
];

describe('Whisper pull files', () => {
  it('fetches configs and the two graphs transformers.js loads, fp32 by default', () => {
    expect(selectWhisperFiles(BASE_LISTING)).toEqual([...CONFIGS, 'tokenizer_config.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']);
  });

  it.each([
    ['fp16', '_fp16'],
    ['q8', '_quantized'],
    ['int8', '_int8'],
    ['uint8', '_uint8'],
    ['q4', '_q4'],
    ['q4f16', '_q4f16'],
  ])('maps dtype %s to the %s files', (dtype, suffix) => {
    const onnx = selectWhisperFiles(BASE_LISTING, { dtype }).filter((file) => file.startsWith('onnx/'));
    expect(onnx).toEqual([`onnx/encoder_model${suffix}.onnx`, `onnx/decoder_model_merged${suffix}.onnx`]);
  });

  it('brings each graph its external data, chunks in order, and only its own', () => {
    const listing = [
      ...CONFIGS,
      'onnx/encoder_model.onnx',
      'onnx/encoder_model.onnx_data_10',
      'onnx/encoder_model.onnx_data',
      'onnx/encoder_model.onnx_data_2',
      'onnx/encoder_model.onnx_data_1',
      'onnx/encoder_model.onnx_data_x',
      'onnx/encoder_model_fp16.onnx',
      'onnx/encoder_model_fp16.onnx_data',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged_fp16.onnx',
    ];
    expect(selectWhisperFiles(listing).filter((file) => file.startsWith('onnx/'))).toEqual([
      'onnx/encoder_model.onnx',
      'onnx/encoder_model.onnx_data',
      'onnx/encoder_model.onnx_data_1',
      'onnx/encoder_model.onnx_data_2',
      'onnx/encoder_model.onnx_data_10',
      'onnx/decoder_model_merged.onnx',
    ]);
    expect(selectWhisperFiles(listing, { dtype: 'fp16' }).filter((file) => file.startsWith('onnx/'))).toEqual([
      'onnx/encoder_model_fp16.onnx',
      'onnx/encoder_model_fp16.onnx_data',
      'onnx/decoder_model_merged_fp16.onnx',
    ]);
  });

  it('names the missing graphs and the dtypes the repo does have', () => {
    const listing = [...CONFIGS, 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/encoder_model_q4.onnx'];
    expect(availableWhisperDtypes(listing)).toEqual(['fp32']);
    expect(() => selectWhisperFiles(listing, { dtype: 'q4' })).toThrow('no q4 weights (missing onnx/decoder_model_merged_q4.onnx); available dtypes: fp32');
    expect(() => selectWhisperFiles(['model.safetensors', 'config.json'])).toThrow('does not look like a Whisper ONNX repo');
    // bnb4 files exist on the hub, but the Whisper plugin does not load them: no point fetching them.
    expect(() => selectWhisperFiles(BASE_LISTING, { dtype: 'bnb4' })).toThrow("unknown Whisper dtype 'bnb4'");
    expect(() => selectWhisperFiles(BASE_LISTING.filter((file) => file !== 'generation_config.json'))).toThrow('missing generation_config.json');
  });

  it('claims Whisper repos and leaves others to the generic selection, which skips the model card', () => {
    expect(isWhisperRepo('onnx-community/whisper-large-v3-turbo')).toBe(true);
    expect(isWhisperRepo('distil-whisper/distil-large-v3')).toBe(true);
    const other = familyFor('onnx-community/chatterbox-ONNX', [whisperPullFiles]);
    expect(other).toBe(GENERIC_FAMILY);
    expect(other.selectFiles(['README.md', '.gitattributes', 'onnx/a.onnx', 'config.json'], {})).toEqual(['onnx/a.onnx', 'config.json']);
  });
});
