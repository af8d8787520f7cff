export {SelectPrompt, type SelectPromptProps} from './SelectPrompt.js';
export {MultiSelectPrompt, type MultiSelectPromptProps} from './MultiSelectPrompt.js';
export {TextPrompt, type TextPromptProps} from './TextPrompt.js';
export {SecretPrompt, HIDDEN, type SecretPromptProps} from './SecretPrompt.js';
export {ConfirmPrompt, type ConfirmPromptProps} from './ConfirmPrompt.js';
export {PlanView, type PlanViewData} from './PlanView.js';
export type {PromptCallbacks, Settled} from './common.js';
