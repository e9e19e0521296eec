// The stock rasa-webchat widget, pointed at this app's own socket.io server.
window.WebChat.default(
  {
    socketUrl: window.location.origin,
    socketPath: "/socket.io/",
    title: "Cascade",
    subtitle: "Ask us anything",
    inputTextFieldHint: "Type a message...",
    // Sent with every message; Cascade keeps page_url with the conversation for its agents.
    customData: { language: "en", page_url: window.location.href },
  },
  null
);
