// GOV.UK's timeout warning (https://design-system.service.gov.uk/patterns/ and HMRC's timeout dialog): two minutes
// before the session times out, a modal dialog says so and counts down; "Stay signed in" (or Escape) extends the
// session through POST /session/extend and closes it, "Sign out" signs out. The page works without it: the dialog
// only opens when this script runs. When the time runs out the dialog says so and the page stays as it is: a form
// sent then is kept for the person, who signs in again and comes back to it. The count is read out by screen
// readers when the dialog opens and then every 30 seconds, not every second.

const SPOKEN_EVERY = 30

export function inWords (seconds) {
  const minutes = Math.floor(seconds / 60)
  const rest = seconds % 60
  const parts = []
  if (minutes) parts.push(minutes === 1 ? '1 minute' : `${minutes} minutes`)
  if (rest || !minutes) parts.push(rest === 1 ? '1 second' : `${rest} seconds`)
  return parts.join(' ')
}

export class TimeoutWarning {
  constructor (root) {
    this.root = root
    this.dialog = root.querySelector('dialog')
    this.heading = root.querySelector('#timeout-heading')
    this.message = root.querySelector('#timeout-message')
    this.countdown = root.querySelector('.app-timeout-warning__countdown')
    this.spoken = root.querySelector('.app-timeout-warning__spoken')
    this.live = root.querySelector('.app-timeout-warning__live')
    this.stay = root.querySelector('.app-timeout-warning__stay')
    this.warnBefore = Number(root.dataset.warnBefore) || 120
    this.stay.addEventListener('submit', (event) => { event.preventDefault(); this.extend() })
    this.dialog.addEventListener('cancel', (event) => { event.preventDefault(); this.extend() }) // Escape
  }

  // Count down from `secondsLeft` (the session's time left): the dialog opens `warnBefore` seconds before the end.
  start (secondsLeft) {
    clearTimeout(this.warnTimer)
    clearInterval(this.ticker)
    this.endsAt = Date.now() + secondsLeft * 1000
    this.warnTimer = setTimeout(() => this.warn(), Math.max(0, secondsLeft - this.warnBefore) * 1000)
  }

  left () {
    return Math.max(0, Math.ceil((this.endsAt - Date.now()) / 1000))
  }

  warn () {
    this.lastSpoken = null
    this.tick()
    if (!this.dialog.open) this.dialog.showModal()
    this.ticker = setInterval(() => this.tick(), 1000)
  }

  tick () {
    const left = this.left()
    if (left === 0) return this.ended()
    const words = inWords(left)
    this.countdown.textContent = words
    if (this.lastSpoken === null || this.lastSpoken - left >= SPOKEN_EVERY) {
      this.lastSpoken = left
      this.spoken.textContent = words
      this.live.textContent = `We will sign you out in ${words}.`
    }
  }

  async extend () {
    try {
      const answer = await fetch(this.stay.action, {
        method: 'POST',
        body: new URLSearchParams(new FormData(this.stay)),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      })
      if (!answer.ok) return this.ended()
      const { seconds_left: secondsLeft } = await answer.json()
      clearInterval(this.ticker)
      this.dialog.close()
      this.live.textContent = ''
      this.start(secondsLeft)
    } catch {
      this.stay.submit() // the network failed: the plain form does the same, and comes back to this page
    }
  }

  ended () {
    clearInterval(this.ticker)
    this.heading.textContent = 'You have been signed out'
    this.message.textContent = 'For your security, we signed you out. Anything you send from this page is kept: ' +
      'you will be asked to sign in again, then you can carry on.'
    this.live.textContent = 'You have been signed out.'
    this.stay.hidden = true
    const close = document.createElement('button')
    close.type = 'button'
    close.className = 'govuk-button govuk-!-margin-bottom-0'
    close.textContent = 'Continue'
    close.addEventListener('click', () => this.dialog.close())
    this.stay.after(close)
    close.focus()
    this.root.dataset.ended = 'true'
  }
}

const root = document.querySelector('[data-module="app-timeout-warning"]')
if (root && root.querySelector('dialog') && typeof root.querySelector('dialog').showModal === 'function') {
  const warning = new TimeoutWarning(root)
  warning.start(Number(root.dataset.secondsLeft))
  root.timeoutWarning = warning // for the browser tests: warning.start(130) opens it ten seconds later
  window.frontDoorTimeoutWarning = warning
}
