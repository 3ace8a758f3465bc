// SAML answer bounce: the IdP's cross-site POST came without our SameSite=Lax session cookie, so the page
// posts the same answer again from our own origin, where the cookie goes along. No script: the button.
(function () {
  var form = document.getElementById("sso-continue");
  if (form) { form.submit(); }
})();
