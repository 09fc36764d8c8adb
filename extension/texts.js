// The extension's own words, in the recruiter's language (the one set in Brobygger, else the browser's).
// Norwegian as in the product's pages (../shared/language-nb.md): short, plain, du-form.
globalThis.BROBYGGER_TEXTS = {
  nb: {
    toggle: "Brobygger",
    close: "Lukk",
    title: "Brobygger",
    loading: "Henter …",
    signedOut: "Nettleseren er ikke koblet til Brobygger.",
    connect: "Koble til",
    track: "Følg i Brobygger",
    trackIntro: "Brobygger kjenner ikke denne personen ennå. Navn og tittel fra profilen lagres, og du får en oppgave om å gi personen beskjed.",
    offline: "Fikk ikke kontakt med Brobygger. Prøv igjen om litt.",
    failed: "Det gikk ikke:",
    notConnected: "Ikke tilkoblet.",
    connectedAs: "Tilkoblet som",
    address: "Adressen til Brobygger",
    addressHelp: "Som https://brobygger.firma.no. Du finner den i adressefeltet når du er logget inn.",
    start: "Koble til",
    codeIntro: "Bekreft denne koden i fanen som åpnet seg:",
    waiting: "Venter på bekreftelse …",
    connected: "Tilkoblet. Åpne en kandidat i rekrutteringssystemet eller en profil på LinkedIn.",
    expired: "Koden gikk ut. Prøv på nytt.",
    badAddress: "Skriv hele adressen, med https://.",
    disconnect: "Koble fra",
    disconnected: "Frakoblet.",
  },
  en: {
    toggle: "Brobygger",
    close: "Close",
    title: "Brobygger",
    loading: "Loading …",
    signedOut: "This browser is not connected to Brobygger.",
    connect: "Connect",
    track: "Track in Brobygger",
    trackIntro: "Brobygger does not know this person yet. The name and headline on the profile are saved, and you get a task to let the person know.",
    offline: "Could not reach Brobygger. Try again in a moment.",
    failed: "That did not work:",
    notConnected: "Not connected.",
    connectedAs: "Connected as",
    address: "Your Brobygger address",
    addressHelp: "Like https://brobygger.example.com. It is in the address bar when you are signed in.",
    start: "Connect",
    codeIntro: "Confirm this code in the tab that opened:",
    waiting: "Waiting for confirmation …",
    connected: "Connected. Open a candidate in your ATS or a profile on LinkedIn.",
    expired: "The code expired. Try again.",
    badAddress: "Enter the whole address, with https://.",
    disconnect: "Disconnect",
    disconnected: "Disconnected.",
  },
};

globalThis.brobyggerTexts = (language) => {
  const wanted = (language || navigator.language || "en").toLowerCase();
  const norwegian = ["nb", "no", "nn"].some((code) => wanted === code || wanted.startsWith(`${code}-`));
  return globalThis.BROBYGGER_TEXTS[norwegian ? "nb" : "en"];
};
