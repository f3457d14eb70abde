# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The guide's examples are what the commands print, not what we wrote."""

import os

from tests.functional import base
from tests.functional import sandbox


class TestGuideExamples(base.NovaCloudTestCase):

    def test_the_guide_shows_what_the_commands_print(self):
        sandbox.populate(self)
        rendered = sandbox.guide_examples(self)
        self.assertEqual(
            sorted(name for _argv, name in sandbox.SESSION if name),
            sorted(rendered))
        for name, text in rendered.items():
            path = os.path.join(sandbox.EXAMPLES, name)
            with open(path) as f:
                self.assertEqual(
                    f.read(), text,
                    '%s is not what the command prints now: run python -m '
                    'tests.functional.sandbox examples' %
                    os.path.normpath(path))
