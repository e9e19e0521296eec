// Words staff read for the API's codes, in one place: why a chat was handed over, as a sentence
// for the agent who takes it and as a short label for the ops dashboard's list; the customer's
// language.

// The languages Cascade speaks (core/language.py), as staff read them: English, with the
// language's own name.
export const LANGUAGES = {
  en: "English",
  ja: "Japanese · 日本語",
};

export const HANDOFF_REASONS = {
  customer_request: "The customer asked for a person",
  frustration: "The customer is frustrated",
  no_answer: "The knowledge base had no answer",
  low_nlu_confidence: "The bot could not understand the message",
  not_understood: "The bot could not understand two messages in a row",
  unhelpful_answers: "The suggested answers did not help",
  clarification_declined: "None of the suggested articles fitted",
  sensitive_topic: "A topic a person must handle",
  bot_unavailable: "The bot was unreachable",
  customer_chose_email: "The customer asked to be emailed",
  max_wait: "Nobody took the chat in time",
  nobody_online: "Nobody was online",
  passed_on: "Every agent online who chats in the customer's language passed it on",
  outside_hours: "Outside live-chat hours",
  agent_escalated: "An agent escalated the chat",
};

export const HANDOFF_REASONS_SHORT = {
  customer_request: "Asked for a person",
  frustration: "Frustration",
  no_answer: "No answer in the knowledge base",
  low_nlu_confidence: "Not understood",
  not_understood: "Not understood twice",
  unhelpful_answers: "Answers did not help",
  clarification_declined: "No suggested article fitted",
  sensitive_topic: "Sensitive topic",
  bot_unavailable: "Bot unreachable",
  customer_chose_email: "Asked to be emailed",
};
