// Every page at 390 px and 1280 px in English: screenshots and axe-core checks (lib/screens.js).

import { screens } from '../lib/screens.js';

screens('en');
